import { describe, expect, test } from "bun:test";
import { parseEnv } from "@trainer2/shared/config";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import { audiences, importPublicKey, issuers } from "@trainer2/shared/tokens";
import { jwtVerify } from "jose";
import NextAuth, { type Session } from "next-auth";
import type { JWT } from "next-auth/jwt";
import type { CredentialsConfig } from "next-auth/providers/credentials";
import type { OAuthConfig } from "next-auth/providers/oauth";
import { webEnvSchema } from "../env";
import { describeAuthError } from "./auth-log";
import { buildAuthOptions, enabledProviders } from "./options";

const keys = await generatePemKeyPair();
const env = (extra: Record<string, string>) => parseEnv(webEnvSchema, extra);
/** next-auth merges a provider's `options` over its defaults when it starts. */
const effectiveIds = (providers: { id: string; options?: unknown }[]) =>
  providers.map((p) => (p.options as { id?: string } | undefined)?.id ?? p.id);

describe("auth options", () => {
  test("Google asks for offline access with consent and the openid scope", () => {
    const options = buildAuthOptions(
      env({ GOOGLE_CLIENT_ID: "id", GOOGLE_CLIENT_SECRET: "secret" }),
    );
    expect(effectiveIds(options.providers)).toEqual(["google"]);
    const google = options.providers[0] as OAuthConfig<unknown>;
    const authorization = google.options?.authorization as { params: Record<string, string> };
    expect(authorization.params).toEqual({
      access_type: "offline",
      prompt: "consent",
      scope: "openid email profile",
    });
    expect(google.options?.wellKnown).toBe(
      "https://accounts.google.com/.well-known/openid-configuration",
    );
    expect(google.options?.checks).toEqual(["pkce", "state"]);
    // GOOGLE_DISCOVERY_URL points the same provider at a local Google (the browser tests).
    const local = buildAuthOptions(
      env({
        GOOGLE_CLIENT_ID: "id",
        GOOGLE_CLIENT_SECRET: "secret",
        GOOGLE_DISCOVERY_URL: "http://127.0.0.1:1234/.well-known/openid-configuration",
      }),
    ).providers[0] as OAuthConfig<unknown>;
    expect(local.options?.wellKnown).toBe("http://127.0.0.1:1234/.well-known/openid-configuration");
  });

  test("any OpenID provider by discovery: code flow with PKCE and state, its scopes, its name", () => {
    const oidc = {
      OIDC_ISSUER: "https://sso.example.com/realms/trainer2",
      OIDC_CLIENT_ID: "trainer2-web",
      OIDC_CLIENT_SECRET: "s3cret",
      OIDC_NAME: "Keycloak",
    };
    const options = buildAuthOptions(env(oidc));
    const provider = options.providers[0] as OAuthConfig<unknown>;
    expect(provider).toMatchObject({
      id: "oidc",
      name: "Keycloak",
      type: "oauth",
      idToken: true,
      wellKnown: "https://sso.example.com/realms/trainer2/.well-known/openid-configuration",
      clientId: "trainer2-web",
      checks: ["pkce", "state"],
      authorization: { params: { scope: "openid email profile offline_access" } },
      client: { token_endpoint_auth_method: "client_secret_basic" },
    });
    const profile = provider.profile({ sub: "u-1", preferred_username: "ada" }, {});
    expect(profile).toMatchObject({ id: "u-1", name: "ada", email: null });
    const unverified = { sub: "u-2", email: "x@example.com", email_verified: false };
    expect(provider.profile(unverified, {})).toMatchObject({ email: null });
    const verified = { sub: "u-3", email: "ada@example.com", email_verified: true };
    expect(provider.profile(verified, {})).toMatchObject({ email: "ada@example.com" });
    const both = env({ ...oidc, GOOGLE_CLIENT_ID: "g", GOOGLE_CLIENT_SECRET: "gs" });
    expect(enabledProviders(both)).toEqual({
      redirects: [
        { id: "google", name: "Google" },
        { id: "oidc", name: "Keycloak" },
      ],
      devLogin: false,
    });
  });

  test("behind an HTTPS proxy (WEB_ORIGIN https://…) every next-auth cookie is Secure and prefixed", async () => {
    // next-auth's own handler, as a proxy would reach it: plain HTTP, no forwarded headers.
    const csrfCookies = async (origin: string) => {
      const options = buildAuthOptions(
        env({ WEB_ORIGIN: origin, NEXTAUTH_SECRET: "x".repeat(32) }),
      );
      const headers: Record<string, unknown> = {};
      const req = { method: "GET", query: { nextauth: ["csrf"] }, headers: {}, cookies: {} };
      const res = {
        getHeader: (name: string) => headers[name],
        setHeader: (name: string, value: unknown) => {
          headers[name] = value;
        },
        status: () => res,
        send: () => res,
        json: () => res,
        end: () => res,
      };
      await (NextAuth as unknown as (...args: unknown[]) => Promise<void>)(req, res, options);
      return (headers["Set-Cookie"] as string[]).map((cookie) => ({
        name: cookie.split("=")[0],
        secure: /;\s*Secure/i.test(cookie),
      }));
    };
    expect(await csrfCookies("https://coach.example.com")).toEqual([
      { name: "__Host-next-auth.csrf-token", secure: true },
      { name: "__Secure-next-auth.callback-url", secure: true },
    ]);
    expect(await csrfCookies("http://localhost:3000")).toEqual([
      { name: "next-auth.csrf-token", secure: false },
      { name: "next-auth.callback-url", secure: false },
    ]);
  });

  test("a provider's failure is one plain log line: provider, reason, what to check; no secret", () => {
    const refused = Object.assign(new Error("invalid_client (client authentication failed)"), {
      response: { body: "client_secret=s3cret" },
    });
    const line = describeAuthError(
      "OAUTH_CALLBACK_ERROR",
      { error: refused, providerId: "oidc" },
      "https://coach.example.com",
    );
    expect(line).toBe(
      "[web] sign-in error OAUTH_CALLBACK_ERROR (provider oidc): invalid_client (client " +
        "authentication failed); the provider refused to finish the sign-in: check the client id " +
        "and secret, and that https://coach.example.com/api/auth/callback/oidc is a registered " +
        "redirect URI",
    );
    expect(line).not.toContain("s3cret");
    const unreachable = new AggregateError([new Error("connect ECONNREFUSED 127.0.0.1:9")]);
    expect(
      describeAuthError("SIGNIN_OAUTH_ERROR", { error: unreachable, providerId: "google" }, "x"),
    ).toContain("(provider google): connect ECONNREFUSED 127.0.0.1:9; could not start the sign-in");
  });

  test("dev login exists only with AUTH_DEV_LOGIN=true and mints a token the api accepts", async () => {
    expect(buildAuthOptions(env({})).providers).toEqual([]);
    expect(enabledProviders(env({}))).toEqual({ redirects: [], devLogin: false });
    const options = buildAuthOptions(
      env({ AUTH_DEV_LOGIN: "true", DEV_LOGIN_PRIVATE_KEY: keys.privateKey }),
    );
    expect(effectiveIds(options.providers)).toEqual(["dev-login"]);
    const dev = options.providers[0] as CredentialsConfig;
    const authorize = (dev.options as unknown as CredentialsConfig).authorize;
    const request = { body: {}, query: {}, headers: {}, method: "POST" };
    expect(await authorize({ name: "", email: "x" }, request)).toBeNull();
    const user = await authorize({ name: "Dev", email: "Dev@Example.com" }, request);
    expect(user).toMatchObject({ id: "dev:dev@example.com", email: "dev@example.com" });
    const { payload } = await jwtVerify(user!.idToken!, await importPublicKey(keys.publicKey), {
      issuer: issuers.devLogin,
      audience: audiences.devLogin,
    });
    expect(payload.sub).toBe("dev:dev@example.com");
  });

  test("the browser's session carries the id_token but never the refresh token", async () => {
    const options = buildAuthOptions(env({}));
    const token: JWT = {
      provider: "google",
      idToken: "id-token",
      idTokenExpiresAt: 123,
      refreshToken: "refresh-token",
    };
    const session = (await options.callbacks!.session!({
      session: { expires: "never" } as Session,
      token,
      user: undefined as never,
      newSession: undefined,
      trigger: "update",
    })) as Session;
    expect(session.idToken).toBe("id-token");
    expect(JSON.stringify(session)).not.toContain("refresh-token");
  });
});
