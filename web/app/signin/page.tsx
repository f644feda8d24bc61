import { redirect } from "next/navigation";
import { SignInForm } from "@/components/sign-in-form";
import { enabledProviders } from "@/lib/auth/options";
import { currentSession } from "@/lib/auth/server-session";

export const dynamic = "force-dynamic";

const errorMessages: Record<string, string> = {
  CredentialsSignin: "Check the name and email and try again.",
  OAuthSignin: "Could not start the Google sign-in. Try again.",
  OAuthCallback: "Google sign-in did not complete. Try again.",
  AccessDenied: "Access was denied.",
  SessionRequired: "Please sign in to continue.",
};

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { callbackUrl, error } = await searchParams;
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
        <p className="muted">Sign in to chat with your trainer.</p>
        {message ? (
          <p className="alert" role="alert">
            {message}
          </p>
        ) : null}
        <SignInForm google={providers.google} devLogin={providers.devLogin} callbackUrl={target} />
      </div>
    </main>
  );
}
