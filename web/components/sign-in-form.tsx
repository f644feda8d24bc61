"use client";

import { signIn } from "next-auth/react";
import { type FormEvent, useState } from "react";

type Props = {
  /** Providers signed in by redirect (Google, the OpenID provider), one button each. */
  redirects: { id: string; name: string }[];
  devLogin: boolean;
  callbackUrl: string;
};

export function SignInForm({ redirects, devLogin, callbackUrl }: Props) {
  const [busy, setBusy] = useState(false);

  const onDevLogin = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    // A full redirect: the chat page then renders with the new session cookie.
    void signIn("dev-login", {
      name: String(form.get("name") ?? ""),
      email: String(form.get("email") ?? ""),
      callbackUrl,
    }).finally(() => setBusy(false));
  };

  if (redirects.length === 0 && !devLogin)
    return (
      <p className="alert" role="alert">
        No sign-in is configured. Set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET, or OIDC_ISSUER,
        OIDC_CLIENT_ID and OIDC_CLIENT_SECRET, or AUTH_DEV_LOGIN=true.
      </p>
    );

  return (
    <div className="signin-options">
      {redirects.map((provider) => (
        <button
          key={provider.id}
          type="button"
          className="button primary"
          onClick={() => void signIn(provider.id, { callbackUrl })}
        >
          Sign in with {provider.name}
        </button>
      ))}
      {devLogin ? (
        <form className="dev-login" onSubmit={onDevLogin} aria-label="Dev login">
          <p className="muted small">Dev login (development only): any name and email.</p>
          <label>
            Name
            <input name="name" autoComplete="name" required maxLength={100} />
          </label>
          <label>
            Email
            <input name="email" type="email" autoComplete="email" required maxLength={254} />
          </label>
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? "Signing in…" : "Sign in (dev)"}
          </button>
        </form>
      ) : null}
    </div>
  );
}
