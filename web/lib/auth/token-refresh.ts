/**
 * Refreshing an id_token with the refresh token kept in the session JWT, at the provider's
 * token endpoint (Google's, or any OpenID provider's, found by discovery). The endpoint is the
 * edge of the world: its answer is parsed with zod, and failures carry the provider's error
 * code but never a token or the client secret.
 */
import { decodeJwt } from "jose";
import { z } from "zod";
import type { MintedIdToken } from "./dev-login";

const tokenResponse = z.object({
  id_token: z.string().min(1, "id_token missing (was the openid scope granted?)"),
  expires_in: z.number().int().positive(),
  refresh_token: z.string().min(1).optional(),
});
const errorResponse = z.object({ error: z.string() });

export class RefreshError extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
    this.name = "RefreshError";
  }

  /**
   * The provider could not answer (network, its 5xx): the refresh token may be fine, so the
   * person stays signed in and the refresh is tried again. Anything else (invalid_grant: a
   * revoked or expired refresh token) means signing in again.
   */
  get transient(): boolean {
    return this.reason === "network" || /^http_5\d\d$/.test(this.reason);
  }
}

export type TokenAuthMethod = "client_secret_basic" | "client_secret_post";
export type OAuthClient = {
  clientId: string;
  clientSecret: string;
  /** How the client authenticates at the token endpoint; default client_secret_post. */
  authMethod?: TokenAuthMethod;
};
export type RefreshedIdToken = MintedIdToken & { refreshToken?: string };

/** The id_token's own `exp` wins; `expires_in` is the access token's lifetime. */
export function idTokenExpiry(idToken: string, fallback: number): number {
  try {
    const { exp } = decodeJwt(idToken);
    return typeof exp === "number" ? exp : fallback;
  } catch {
    return fallback;
  }
}

/** RFC 6749 §2.3.1: Basic credentials are the form-encoded id and secret. */
function basicCredentials(client: OAuthClient): string {
  const encode = (value: string) => encodeURIComponent(value).replaceAll("%20", "+");
  return btoa(`${encode(client.clientId)}:${encode(client.clientSecret)}`);
}

function refreshRequest(refreshToken: string, client: OAuthClient): RequestInit {
  const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken });
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    accept: "application/json",
  };
  if (client.authMethod === "client_secret_basic") {
    headers.authorization = `Basic ${basicCredentials(client)}`;
  } else {
    form.set("client_id", client.clientId);
    form.set("client_secret", client.clientSecret);
  }
  return { method: "POST", headers, body: form, signal: AbortSignal.timeout(10_000) };
}

export async function refreshIdToken(
  refreshToken: string,
  client: OAuthClient,
  options: { tokenUrl: string; fetch?: typeof fetch; nowSeconds?: number },
): Promise<RefreshedIdToken> {
  const doFetch = options.fetch ?? fetch;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  let response: Response;
  try {
    response = await doFetch(options.tokenUrl, refreshRequest(refreshToken, client));
  } catch (cause) {
    throw new RefreshError(`token endpoint unreachable: ${(cause as Error).name}`, "network");
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const parsed = errorResponse.safeParse(body);
    const reason = parsed.success ? parsed.data.error : `http_${response.status}`;
    throw new RefreshError(`token endpoint refused the refresh (${reason})`, reason);
  }
  const parsed = tokenResponse.safeParse(body);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join(".") || "body";
    throw new RefreshError(`token endpoint answered an unexpected body (${field})`, "bad_response");
  }
  const { id_token, expires_in, refresh_token } = parsed.data;
  return {
    idToken: id_token,
    expiresAt: idTokenExpiry(id_token, now + expires_in),
    // Google keeps the old refresh token; providers that rotate send a new one.
    ...(refresh_token ? { refreshToken: refresh_token } : {}),
  };
}
