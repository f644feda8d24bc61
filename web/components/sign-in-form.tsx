"use client";

import { signIn } from "next-auth/react";
import { type FormEvent, useState } from "react";

type Props = { google: boolean; devLogin: boolean; callbackUrl: string };

export function SignInForm({ google, devLogin, callbackUrl }: Props) {
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

  if (!google && !devLogin)
    return (
      <p className="alert" role="alert">
        No sign-in is configured. Set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET, or
        AUTH_DEV_LOGIN=true.
      </p>
    );

  return (
    <div className="signin-options">
      {google ? (
        <button
          type="button"
          className="button primary"
          onClick={() => void signIn("google", { callbackUrl })}
        >
          Sign in with Google
        </button>
      ) : null}
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
