/**
 * A real OpenID Provider on loopback for browser tests: `oidc-provider` (certified, by the
 * author of jose), the edge-of-the-world double for Google, Keycloak, Auth0… It serves
 * discovery, its own login and consent pages, the authorization-code flow (PKCE required),
 * id_tokens with email and name, and refresh tokens, with lifetimes a test can make short.
 *
 * With `issuer: "https://accounts.google.com"` it is a local Google: its documents name
 * Google's issuer while every endpoint stays on 127.0.0.1 (oidc-provider builds endpoint URLs
 * from the request), so the web's Google provider and the api's Google verifier, pointed at
 * its discovery URL, run unchanged.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import Provider, { type Configuration, type KoaContextWithOIDC } from "oidc-provider";

export type OpenIdProviderOptions = {
  /** Default: its own URL (http://127.0.0.1:<port>). */
  issuer?: string;
  client: {
    id: string;
    secret: string;
    /** The web's /api/auth/callback/<provider id>, as the browser reaches it. */
    redirectUri: string;
    authMethod?: "client_secret_basic" | "client_secret_post";
  };
  /** Lifetime of id_tokens (and access tokens); short, so they expire while a page is open. */
  idTokenSeconds?: number;
  /** A new refresh token on every refresh, the old one spent (Auth0, Okta with rotation). */
  rotateRefreshTokens?: boolean;
};

export type OpenIdProvider = {
  /** Where it listens, and where its pages are. */
  url: string;
  issuer: string;
  discoveryUrl: string;
  /** Successful token requests so far, by grant type. */
  grants: { authorization_code: number; refresh_token: number };
  /** Refused token requests so far, by OAuth error (invalid_grant, invalid_client…). */
  refusals: Record<string, number>;
  /** Revokes every refresh token issued so far, as a person signing out elsewhere would. */
  revokeRefreshTokens(): Promise<number>;
  close(): Promise<void>;
};

/** The login typed on its sign-in page is the account (and the subject): an email. */
function account(login: string) {
  const email = login.toLowerCase();
  const local = email.split("@")[0] ?? email;
  const name = `${local.charAt(0).toUpperCase()}${local.slice(1)} Tester`;
  return {
    accountId: login,
    claims: () => ({ sub: login, email, email_verified: true, name }),
  };
}

async function signingKeys() {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  return { keys: [{ ...(await exportJWK(privateKey)), kid: "test-1", alg: "RS256", use: "sig" }] };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

function configuration(options: OpenIdProviderOptions, jwks: Configuration["jwks"]): Configuration {
  const lifetime = options.idTokenSeconds ?? 3600;
  const { client } = options;
  return {
    clients: [
      {
        client_id: client.id,
        client_secret: client.secret,
        redirect_uris: [client.redirectUri],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: client.authMethod ?? "client_secret_basic",
      },
    ],
    jwks,
    cookies: { keys: [randomBytes(32).toString("hex")] },
    findAccount: (_ctx, id) => account(id),
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    // Scope claims in the id_token itself, as Google and Keycloak put them.
    conformIdTokenClaims: false,
    // A refresh token for every code exchange (Google: offline access; Keycloak: always).
    issueRefreshToken: async (_ctx, oidcClient) => oidcClient.grantTypeAllowed("refresh_token"),
    rotateRefreshToken: () => options.rotateRefreshTokens ?? false,
    // Every authorization request must carry PKCE (S256): a client without it is refused.
    pkce: { required: () => true },
    ttl: {
      IdToken: lifetime,
      AccessToken: lifetime,
      RefreshToken: 24 * 3600,
      Session: 24 * 3600,
      Grant: 24 * 3600,
      Interaction: 3600,
    },
    features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
  };
}

export async function startOpenIdProvider(options: OpenIdProviderOptions): Promise<OpenIdProvider> {
  const server = createServer();
  const port = await listen(server);
  const url = `http://127.0.0.1:${port}`;
  const issuer = options.issuer ?? url;
  const provider = new Provider(issuer, configuration(options, await signingKeys()));
  const grants = { authorization_code: 0, refresh_token: 0 };
  const refusals: Record<string, number> = {};
  const refreshTokens = new Set<{ destroy(): Promise<void> }>();
  provider.on("grant.success", (ctx: KoaContextWithOIDC) => {
    const type = ctx.oidc.params?.grant_type;
    if (type === "authorization_code" || type === "refresh_token") grants[type] += 1;
  });
  provider.on("grant.error", (_ctx: KoaContextWithOIDC, error: { error?: string }) => {
    const code = error.error ?? "unknown";
    refusals[code] = (refusals[code] ?? 0) + 1;
  });
  provider.on("refresh_token.saved", (token: { destroy(): Promise<void> }) => {
    refreshTokens.add(token);
  });
  server.on("request", provider.callback());
  return {
    url,
    issuer,
    discoveryUrl: `${url}/.well-known/openid-configuration`,
    grants,
    refusals,
    async revokeRefreshTokens() {
      const all = [...refreshTokens];
      refreshTokens.clear();
      await Promise.all(all.map((token) => token.destroy()));
      return all.length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
