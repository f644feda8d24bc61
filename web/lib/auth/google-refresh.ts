/**
 * Refreshing a Google id_token with the refresh token kept in the session JWT. Google's
 * token endpoint is the edge of the world: its answer is parsed with zod, and failures
 * carry Google's error code but never a token.
 */
import { decodeJwt } from "jose";
import { z } from "zod";
import type { MintedIdToken } from "./dev-login";

export const googleTokenUrl = "https://oauth2.googleapis.com/token";

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
}

export type GoogleClient = { clientId: string; clientSecret: string };
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

export async function refreshGoogleIdToken(
  refreshToken: string,
  client: GoogleClient,
  options: { tokenUrl?: string; fetch?: typeof fetch; nowSeconds?: number } = {},
): Promise<RefreshedIdToken> {
  const doFetch = options.fetch ?? fetch;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  let response: Response;
  try {
    response = await doFetch(options.tokenUrl ?? googleTokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: refreshToken,
        client_id: client.clientId,
        client_secret: client.clientSecret,
      }),
      signal: AbortSignal.timeout(10_000),
    });
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
    // Google usually keeps the old refresh token; it may rotate it.
    ...(refresh_token ? { refreshToken: refresh_token } : {}),
  };
}
