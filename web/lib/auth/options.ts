/**
 * next-auth (v4) configuration, built from the parsed environment. Google when its
 * credentials are set; the dev login only when AUTH_DEV_LOGIN=true.
 */

import { devSubject } from "@trainer2/shared/tokens";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import GoogleProvider from "next-auth/providers/google";
import type { Provider } from "next-auth/providers/index";
import { type WebEnv, webEnv } from "../env";
import { devLoginInput, devLoginProviderId, devMinter } from "./dev-login";
import { refreshGoogleIdToken } from "./google-refresh";
import { nextSessionToken, type TokenDeps } from "./session-token";

export const signInPath = "/signin";

function providers(env: WebEnv, deps: TokenDeps): Provider[] {
  const list: Provider[] = [];
  if (env.GOOGLE_CLIENT_ID && env.GOOGLE_CLIENT_SECRET) {
    list.push(
      GoogleProvider({
        clientId: env.GOOGLE_CLIENT_ID,
        clientSecret: env.GOOGLE_CLIENT_SECRET,
        // offline + consent: Google returns a refresh token every time, so sessions outlive
        // the one-hour id_token.
        authorization: {
          params: { access_type: "offline", prompt: "consent", scope: "openid email profile" },
        },
      }),
    );
  }
  const mintDev = deps.mintDev;
  if (mintDev) {
    list.push(
      CredentialsProvider({
        id: devLoginProviderId,
        name: "Dev login",
        credentials: {
          name: { label: "Name", type: "text" },
          email: { label: "Email", type: "email" },
        },
        async authorize(credentials) {
          const parsed = devLoginInput.safeParse(credentials ?? {});
          if (!parsed.success) return null;
          const { idToken, expiresAt } = await mintDev(parsed.data);
          return {
            id: devSubject(parsed.data.email),
            name: parsed.data.name,
            email: parsed.data.email.toLowerCase(),
            idToken,
            idTokenExpiresAt: expiresAt,
          };
        },
      }),
    );
  }
  return list;
}

export function tokenDeps(env: WebEnv): TokenDeps {
  const { GOOGLE_CLIENT_ID: clientId, GOOGLE_CLIENT_SECRET: clientSecret } = env;
  return {
    nowSeconds: () => Math.floor(Date.now() / 1000),
    refreshGoogle:
      clientId && clientSecret
        ? (refreshToken) => refreshGoogleIdToken(refreshToken, { clientId, clientSecret })
        : undefined,
    mintDev:
      env.AUTH_DEV_LOGIN && env.DEV_LOGIN_PRIVATE_KEY
        ? devMinter(env.DEV_LOGIN_PRIVATE_KEY)
        : undefined,
    // The message names the provider and reason only: never a token.
    onRefreshError: (provider, error) =>
      console.warn(`[web] ${provider} token refresh failed: ${(error as Error).message}`),
  };
}

export function buildAuthOptions(env: WebEnv, deps: TokenDeps = tokenDeps(env)): NextAuthOptions {
  return {
    secret: env.NEXTAUTH_SECRET,
    session: { strategy: "jwt", maxAge: 30 * 24 * 60 * 60 },
    pages: { signIn: signInPath, error: signInPath },
    providers: providers(env, deps),
    callbacks: {
      jwt: (params) => nextSessionToken(params, deps),
      // The browser needs the id_token for the api; the refresh token stays server-side.
      session: ({ session, token }) => ({
        ...session,
        idToken: token.idToken,
        idTokenExpiresAt: token.idTokenExpiresAt,
        provider: token.provider,
        error: token.error,
      }),
    },
  };
}

let cached: NextAuthOptions | undefined;

export function authOptions(): NextAuthOptions {
  cached ??= buildAuthOptions(webEnv());
  return cached;
}

/** Which sign-in buttons the sign-in page shows. */
export function enabledProviders(env: WebEnv = webEnv()) {
  return {
    google: Boolean(env.GOOGLE_CLIENT_ID && env.GOOGLE_CLIENT_SECRET),
    devLogin: env.AUTH_DEV_LOGIN,
  };
}
