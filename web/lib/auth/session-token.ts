/**
 * What the session JWT carries and how it stays fresh. Pure apart from the injected
 * refreshers, so the lifecycle is unit-tested without next-auth or a provider.
 */
import { DiscoveryError } from "@trainer2/shared/oidc";
import { decodeJwt } from "jose";
import type { Account, User } from "next-auth";
import type { JWT } from "next-auth/jwt";
import { type DevLoginInput, devLoginProviderId, type MintedIdToken } from "./dev-login";
import { idTokenExpiry, RefreshError, type RefreshedIdToken } from "./token-refresh";

/** Refresh this long before the id_token expires, so a socket never opens with a dying token. */
export const refreshMarginSeconds = 5 * 60;

/** The providers signed in through a redirect, whose id_tokens are renewed by refresh token. */
export const oauthProviderIds = ["google", "oidc"] as const;
export type OAuthProviderId = (typeof oauthProviderIds)[number];
export type AuthProvider = OAuthProviderId | typeof devLoginProviderId;

const isOAuthProvider = (id: unknown): id is OAuthProviderId =>
  oauthProviderIds.includes(id as OAuthProviderId);

export type TokenDeps = {
  nowSeconds: () => number;
  /** One per configured provider; absent when it is not configured. */
  refreshers: Partial<Record<OAuthProviderId, (refreshToken: string) => Promise<RefreshedIdToken>>>;
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

/**
 * Five minutes before expiry for Google's hour-long tokens; a quarter of the lifetime for
 * short ones (Keycloak's default is five minutes), or every read of the session would refresh.
 */
export function refreshMargin(idToken: string | undefined, expiresAt: number): number {
  let issuedAt: unknown;
  try {
    issuedAt = idToken ? decodeJwt(idToken).iat : undefined;
  } catch {
    issuedAt = undefined;
  }
  if (typeof issuedAt !== "number" || issuedAt >= expiresAt) return refreshMarginSeconds;
  return Math.min(refreshMarginSeconds, Math.floor((expiresAt - issuedAt) / 4));
}

/** Whether an id_token expiring at `expiresAt` should be renewed at `now`. */
export const refreshDue = (idToken: string | undefined, expiresAt: number, now: number) =>
  now >= expiresAt - refreshMargin(idToken, expiresAt);

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
    provider: account.provider as OAuthProviderId,
    idToken,
    idTokenExpiresAt: idToken ? idTokenExpiry(idToken, account.expires_at ?? 0) : undefined,
    refreshToken: account.refresh_token,
    error: undefined,
  };
}

async function renew(token: JWT, deps: TokenDeps): Promise<JWT> {
  if (isOAuthProvider(token.provider)) {
    const refresh = deps.refreshers[token.provider];
    if (!refresh || !token.refreshToken) throw new Error(`${token.provider} refresh unavailable`);
    const next = await refresh(token.refreshToken);
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

/** The provider could not be asked right now: not a reason to sign anyone out. */
const isTransient = (error: unknown) =>
  (error instanceof RefreshError && error.transient) ||
  (error instanceof DiscoveryError && error.reason === "unreachable");

/** The next-auth `jwt` callback: record tokens at sign-in, renew them shortly before expiry. */
export async function nextSessionToken(params: JwtParams, deps: TokenDeps): Promise<JWT> {
  if (params.account) return onSignIn(params.token, params.account, params.user);
  const token = params.token;
  // A refused refresh token stays refused: asking the provider on every read would not help.
  if (token.error === "RefreshFailed") return token;
  const due = refreshDue(token.idToken, token.idTokenExpiresAt ?? 0, deps.nowSeconds());
  if (!due && !isForcedRefresh(params)) return token;
  try {
    return await renew(token, deps);
  } catch (error) {
    deps.onRefreshError?.(String(token.provider), error);
    // Kept tokens and a retry on the next read for an outage; signing in again otherwise.
    return { ...token, error: isTransient(error) ? "RefreshUnavailable" : "RefreshFailed" };
  }
}
