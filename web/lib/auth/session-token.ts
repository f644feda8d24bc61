/**
 * What the session JWT carries and how it stays fresh. Pure apart from the injected
 * refreshers, so the lifecycle is unit-tested without next-auth or Google.
 */
import type { Account, User } from "next-auth";
import type { JWT } from "next-auth/jwt";
import { type DevLoginInput, devLoginProviderId, type MintedIdToken } from "./dev-login";
import { idTokenExpiry, type RefreshedIdToken } from "./google-refresh";

/** Refresh this long before the id_token expires, so a socket never opens with a dying token. */
export const refreshMarginSeconds = 5 * 60;

export type AuthProvider = "google" | typeof devLoginProviderId;

export type TokenDeps = {
  nowSeconds: () => number;
  /** Absent when Google is not configured. */
  refreshGoogle?: (refreshToken: string) => Promise<RefreshedIdToken>;
  /** Absent when AUTH_DEV_LOGIN is off: dev sessions then stop being renewed. */
  mintDev?: (who: DevLoginInput) => Promise<MintedIdToken>;
  onRefreshError?: (provider: string, error: unknown) => void;
};

export type JwtParams = {
  token: JWT;
  user?: User | null;
  account?: Account | null;
  trigger?: "signIn" | "signUp" | "update";
  session?: unknown;
};

/** `useSession().update({ refresh: true })` forces a refresh (after the api said 4401). */
export const isForcedRefresh = (params: JwtParams) =>
  params.trigger === "update" &&
  typeof params.session === "object" &&
  params.session !== null &&
  (params.session as { refresh?: unknown }).refresh === true;

function onSignIn(token: JWT, account: Account, user: User | null | undefined): JWT {
  if (account.provider === devLoginProviderId) {
    return {
      ...token,
      provider: devLoginProviderId,
      idToken: user?.idToken,
      idTokenExpiresAt: user?.idTokenExpiresAt,
      error: undefined,
    };
  }
  const idToken = account.id_token;
  return {
    ...token,
    provider: "google",
    idToken,
    idTokenExpiresAt: idToken ? idTokenExpiry(idToken, account.expires_at ?? 0) : undefined,
    refreshToken: account.refresh_token,
    error: undefined,
  };
}

async function renew(token: JWT, deps: TokenDeps): Promise<JWT> {
  if (token.provider === "google") {
    if (!deps.refreshGoogle || !token.refreshToken) throw new Error("google refresh unavailable");
    const next = await deps.refreshGoogle(token.refreshToken);
    return {
      ...token,
      idToken: next.idToken,
      idTokenExpiresAt: next.expiresAt,
      refreshToken: next.refreshToken ?? token.refreshToken,
      error: undefined,
    };
  }
  if (token.provider === devLoginProviderId) {
    if (!deps.mintDev || !token.email || !token.name) throw new Error("dev login unavailable");
    const next = await deps.mintDev({ name: token.name, email: token.email });
    return { ...token, idToken: next.idToken, idTokenExpiresAt: next.expiresAt, error: undefined };
  }
  throw new Error("unknown provider");
}

/** The next-auth `jwt` callback: record tokens at sign-in, renew them shortly before expiry. */
export async function nextSessionToken(params: JwtParams, deps: TokenDeps): Promise<JWT> {
  if (params.account) return onSignIn(params.token, params.account, params.user);
  const token = params.token;
  const expiresAt = token.idTokenExpiresAt ?? 0;
  const due = deps.nowSeconds() >= expiresAt - refreshMarginSeconds;
  if (!due && !isForcedRefresh(params)) return token;
  try {
    return await renew(token, deps);
  } catch (error) {
    deps.onRefreshError?.(String(token.provider), error);
    return { ...token, error: "RefreshFailed" };
  }
}
