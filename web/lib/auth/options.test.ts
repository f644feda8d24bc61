import { describe, expect, test } from "bun:test";
import { parseEnv } from "@trainer2/shared/config";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import { audiences, importPublicKey, issuers } from "@trainer2/shared/tokens";
import { jwtVerify } from "jose";
import type { Session } from "next-auth";
import type { JWT } from "next-auth/jwt";
import type { CredentialsConfig } from "next-auth/providers/credentials";
import type { OAuthConfig } from "next-auth/providers/oauth";
import { webEnvSchema } from "../env";
import { buildAuthOptions } from "./options";

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
  });

  test("dev login exists only with AUTH_DEV_LOGIN=true and mints a token the api accepts", async () => {
    expect(buildAuthOptions(env({})).providers).toEqual([]);
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
