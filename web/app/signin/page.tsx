import { redirect } from "next/navigation";
import { SignInForm } from "@/components/sign-in-form";
import { enabledProviders } from "@/lib/auth/options";
import { currentSession } from "@/lib/auth/server-session";

export const dynamic = "force-dynamic";

// Each says what happened and what to do; the web server's log line says which provider and
// what to fix (lib/auth/auth-log.ts). None of them redirects anywhere by itself: no loops.
const errorMessages: Record<string, string> = {
  CredentialsSignin: "Check the name and email and try again.",
  OAuthSignin:
    "The sign-in provider could not be reached, or its settings are wrong, so sign-in could " +
    "not start. Try again in a moment; if it keeps happening, the web server's log says what to fix.",
  OAuthCallback:
    "The sign-in provider did not let the sign-in finish (for example, the app's client secret " +
    "is wrong). Try again; if it keeps happening, the web server's log says what to fix.",
  Callback: "Sign-in did not complete. Try again.",
  AccessDenied: "Access was denied.",
  SessionRequired: "Please sign in to continue.",
  // Our own: the chat page sends people here when their sign-in could not be renewed.
  SessionExpired: "Your sign-in has expired. Sign in again: your chats are kept.",
};

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { callbackUrl, error, deleted } = await searchParams;
  // Only same-site paths: an open redirect would make this page a phishing helper.
  const target =
    typeof callbackUrl === "string" && callbackUrl.startsWith("/") && !callbackUrl.startsWith("//")
      ? callbackUrl
      : "/";
  if (await currentSession()) redirect(target);
  const providers = enabledProviders();
  const message =
    typeof error === "string" ? (errorMessages[error] ?? "Sign-in failed. Try again.") : null;
  return (
    <main className="signin">
      <div className="signin-card">
        <h1>trainer2</h1>
        {deleted ? (
          <p className="notice-ok" role="status">
            Your account and everything in it were deleted.
          </p>
        ) : null}
        <p className="muted">Sign in to chat with your trainer.</p>
        {message ? (
          <p className="alert" role="alert">
            {message}
          </p>
        ) : null}
        <SignInForm
          redirects={providers.redirects}
          devLogin={providers.devLogin}
          callbackUrl={target}
        />
      </div>
    </main>
  );
}
