/**
 * next-auth (v4) configuration, built from the parsed environment: Google and any one OpenID
 * provider when their credentials are set; the dev login only when AUTH_DEV_LOGIN=true.
 */

import { devSubject } from "@trainer2/shared/tokens";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import type { Provider } from "next-auth/providers/index";
import { exposePublicUrlToNextAuth, publicUrl, type WebEnv, webEnv } from "../env";
import { authLogger } from "./auth-log";
import { devLoginInput, devLoginProviderId, devMinter } from "./dev-login";
import { nextAuthProvider, oauthSettings, refresherFor } from "./oauth-providers";
import { nextSessionToken, refreshDue, type TokenDeps } from "./session-token";

export const signInPath = "/signin";

function devLoginProvider(mintDev: NonNullable<TokenDeps["mintDev"]>): Provider {
  return CredentialsProvider({
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
  });
}

function providers(env: WebEnv, deps: TokenDeps): Provider[] {
  const list = oauthSettings(env).map(nextAuthProvider);
  if (deps.mintDev) list.push(devLoginProvider(deps.mintDev));
  return list;
}

export function tokenDeps(env: WebEnv): TokenDeps {
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const refreshers: TokenDeps["refreshers"] = {};
  for (const settings of oauthSettings(env))
    refreshers[settings.id] = refresherFor(
      settings,
      (refreshed) => !refreshDue(refreshed.idToken, refreshed.expiresAt, nowSeconds()),
    );
  return {
    nowSeconds,
    refreshers,
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
    // Secure, __Secure-/__Host- prefixed cookies whenever people reach the web by HTTPS, also
    // when a proxy in front terminates TLS and this server itself only sees HTTP.
    useSecureCookies: publicUrl(env).startsWith("https://"),
    logger: authLogger(publicUrl(env)),
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
  if (cached) return cached;
  const env = webEnv();
  exposePublicUrlToNextAuth(env);
  cached = buildAuthOptions(env);
  return cached;
}

export type SignInChoices = {
  /** One button each, in this order. */
  redirects: { id: string; name: string }[];
  devLogin: boolean;
};

/** Which sign-in choices the sign-in page shows. */
export function enabledProviders(env: WebEnv = webEnv()): SignInChoices {
  return {
    redirects: oauthSettings(env).map(({ id, name }) => ({ id, name })),
    devLogin: env.AUTH_DEV_LOGIN,
  };
}
