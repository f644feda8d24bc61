/**
 * One refresh per refresh token at a time, and its outcome remembered for a short while.
 *
 * A page asks for its session from several places at once (the socket after 4401, the state
 * panel, next-auth's own refetch), and each request carries the cookie it had when it left:
 * without this, two of them spend the same refresh token. Providers that rotate refresh
 * tokens (Auth0, Okta, oidc-provider) take a second use of a spent one as theft and revoke the
 * whole grant, signing the person out. Requests that arrive with the old cookie shortly after
 * get the same new tokens, and write the same cookie.
 */
export type Refresh<T> = (refreshToken: string) => Promise<T>;

type Flight<T> = { result: Promise<T>; settledAt?: number; value?: T };

export function singleFlight<T>(
  refresh: Refresh<T>,
  options: {
    rememberMs?: number;
    now?: () => number;
    /** Whether a remembered answer may still be handed out (its id_token not due yet). */
    stillGood?: (value: T) => boolean;
  } = {},
): Refresh<T> {
  const rememberMs = options.rememberMs ?? 60_000;
  const now = options.now ?? Date.now;
  const stillGood = options.stillGood ?? (() => true);
  const flights = new Map<string, Flight<T>>();

  const usable = (flight: Flight<T>) =>
    flight.settledAt === undefined ||
    (now() - flight.settledAt < rememberMs && stillGood(flight.value as T));

  return (refreshToken) => {
    for (const [key, flight] of flights) if (!usable(flight)) flights.delete(key);
    const known = flights.get(refreshToken);
    if (known) return known.result;
    const flight: Flight<T> = { result: refresh(refreshToken) };
    flights.set(refreshToken, flight);
    flight.result.then(
      (value) => {
        flight.value = value;
        flight.settledAt = now();
      },
      // A failure is shared by the requests already waiting, then forgotten: the next one
      // tries again (a provider that was down may be back).
      () => {
        if (flights.get(refreshToken) === flight) flights.delete(refreshToken);
      },
    );
    return flight.result;
  };
}
