/** Back to this very chat (its ?session=) after signing in again; the sign-in page says why. */
export function signInAgainHref(): string {
  const here = `${window.location.pathname}${window.location.search}`;
  return `/signin?error=SessionExpired&callbackUrl=${encodeURIComponent(here)}`;
}
