import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { AppError } from "@trainer2/shared/errors";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import { importPublicKey } from "@trainer2/shared/tokens";
import { devLoginToken } from "../testing/bad-tokens.ts";
import { startTestIdentity, type TestIdentity } from "../testing/identity.ts";
import { createIdentityVerifier, discoveryProblems } from "./identity.ts";

let provider: TestIdentity;

beforeAll(async () => {
  provider = await startTestIdentity("google-client-id.apps.example");
});
afterAll(async () => {
  await provider.close();
});

describe("Google", () => {
  test("both of Google's issuer spellings are accepted and stored as one identity", async () => {
    const verify = createIdentityVerifier({
      google: { clientId: provider.audience, jwksUrl: provider.jwksUrl },
    });
    for (const issuer of ["https://accounts.google.com", "accounts.google.com"]) {
      const token = await provider.mintIdToken({ sub: "g-1", email: "g@example.com", issuer });
      expect(await verify(token)).toMatchObject({
        issuer: "https://accounts.google.com",
        subject: "g-1",
        email: "g@example.com",
      });
    }
  });

  test("a token for another client id is refused", async () => {
    const verify = createIdentityVerifier({
      google: { clientId: "our-client", jwksUrl: provider.jwksUrl },
    });
    const token = await provider.mintIdToken({ issuer: "https://accounts.google.com" });
    await expect(verify(token)).rejects.toMatchObject({ code: "unauthorized" });
  });

  test("the provider's own issuer is not Google's", async () => {
    const verify = createIdentityVerifier({
      google: { clientId: provider.audience, jwksUrl: provider.jwksUrl },
    });
    await expect(verify(await provider.mintIdToken())).rejects.toMatchObject({
      message: expect.stringContaining("issuer"),
    });
  });
});

describe("email_verified", () => {
  test("an email counts only when the provider says it verified it (Google and generic OIDC)", async () => {
    const google = createIdentityVerifier({
      google: { clientId: provider.audience, jwksUrl: provider.jwksUrl },
    });
    const oidc = createIdentityVerifier({
      oidc: { issuer: provider.issuer, jwksUrl: provider.jwksUrl, audience: provider.audience },
    });
    const cases = [
      { emailVerified: true, email: "v@example.com" },
      { emailVerified: "true", email: "v@example.com" },
      { emailVerified: false, email: null },
      { emailVerified: "omit", email: null },
    ] as const;
    for (const [verify, issuer] of [
      [google, "https://accounts.google.com"],
      [oidc, provider.issuer],
    ] as const)
      for (const { emailVerified, email } of cases) {
        const token = await provider.mintIdToken({ email: "v@example.com", emailVerified, issuer });
        // The person still signs in: only the unproven address is left out.
        expect({ emailVerified, ...(await verify(token)) }).toMatchObject({ emailVerified, email });
      }
  });
});

describe("keys found by discovery", () => {
  test("an issuer and an audience are enough: the keys come from its discovery document", async () => {
    const verify = createIdentityVerifier({
      oidc: { issuer: provider.issuer, audience: provider.audience },
    });
    const token = await provider.mintIdToken({ sub: "d-1" });
    expect(await verify(token)).toMatchObject({ issuer: provider.issuer, subject: "d-1" });
    expect(await discoveryProblems({ oidc: { issuer: provider.issuer, audience: "a" } })).toEqual(
      [],
    );
  });

  test("Google's keys from another discovery document (a local Google)", async () => {
    const issuerUrl = "https://accounts.google.com";
    const document = (issuer: string) => ({
      issuer,
      authorization_endpoint: `${provider.issuer}/auth`,
      token_endpoint: `${provider.issuer}/token`,
      jwks_uri: provider.jwksUrl,
    });
    let named = issuerUrl;
    const localGoogle = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => Response.json(document(named)),
    });
    try {
      const discoveryUrl = `http://127.0.0.1:${localGoogle.port}/.well-known/openid-configuration`;
      const verify = createIdentityVerifier({
        google: { clientId: provider.audience, discoveryUrl },
      });
      const token = await provider.mintIdToken({ sub: "g-2", issuer: issuerUrl });
      expect(await verify(token)).toMatchObject({ issuer: issuerUrl, subject: "g-2" });
      // A document that names another issuer is not Google's: a clear problem, then a 503.
      named = "https://impostor.example";
      const config = { google: { clientId: provider.audience, discoveryUrl } };
      expect(await discoveryProblems(config)).toEqual([
        `OpenID discovery at ${discoveryUrl} names issuer https://impostor.example, not ${issuerUrl}`,
      ]);
      await expect(createIdentityVerifier(config)(token)).rejects.toMatchObject({
        code: "unavailable",
      });
    } finally {
      await localGoogle.stop(true);
    }
  });

  test("an unreachable discovery is unavailable (503), and says where", async () => {
    const oidc = { issuer: "http://127.0.0.1:9", audience: provider.audience };
    const token = await provider.mintIdToken({ issuer: oidc.issuer });
    await expect(createIdentityVerifier({ oidc })(token)).rejects.toMatchObject({
      code: "unavailable",
      status: 503,
    });
    expect(await discoveryProblems({ oidc })).toEqual([
      "OpenID discovery at http://127.0.0.1:9/.well-known/openid-configuration unreachable",
    ]);
  });
});

describe("an identity provider that cannot be reached", () => {
  test("is unavailable (503), not a bad token (401)", async () => {
    const errorPage = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => new Response("down for maintenance", { status: 500 }),
    });
    try {
      const token = await provider.mintIdToken();
      for (const jwksUrl of [
        "http://127.0.0.1:9/jwks",
        `http://127.0.0.1:${errorPage.port}/jwks`,
      ]) {
        const verify = createIdentityVerifier({
          oidc: { issuer: provider.issuer, jwksUrl, audience: provider.audience },
        });
        const refusal = await verify(token).then(
          () => null,
          (error: AppError) => ({ code: error.code, status: error.status }),
        );
        expect({ jwksUrl, refusal }).toEqual({
          jwksUrl,
          refusal: { code: "unavailable", status: 503 },
        });
      }
    } finally {
      await errorPage.stop(true);
    }
  });
});

describe("key rotation and dev login", () => {
  test("a rotated key is picked up; tokens of the retired key stop verifying", async () => {
    const identity = await startTestIdentity();
    try {
      const verify = createIdentityVerifier({
        oidc: { issuer: identity.issuer, jwksUrl: identity.jwksUrl, audience: identity.audience },
        jwksCooldownMs: 0,
      });
      const before = await identity.mintIdToken({ sub: "r" });
      expect((await verify(before)).subject).toBe("r");
      await identity.rotateKey();
      const after = await identity.mintIdToken({ sub: "r" });
      expect((await verify(after)).subject).toBe("r");
      await expect(verify(before)).rejects.toMatchObject({ code: "unauthorized" });
    } finally {
      await identity.close();
    }
  });

  test("dev-login tokens verify only when dev login is configured", async () => {
    const keys = await generatePemKeyPair();
    const token = await devLoginToken(keys.privateKey, "Me@Example.com");
    const off = createIdentityVerifier({
      oidc: { issuer: provider.issuer, jwksUrl: provider.jwksUrl, audience: provider.audience },
    });
    await expect(off(token)).rejects.toMatchObject({ code: "unauthorized" });
    const on = createIdentityVerifier({
      devLogin: { publicKey: await importPublicKey(keys.publicKey) },
    });
    expect(await on(token)).toMatchObject({
      issuer: "trainer2-dev-login",
      subject: "dev:me@example.com",
      email: "me@example.com",
    });
    const stranger = await generatePemKeyPair();
    await expect(
      on(await devLoginToken(stranger.privateKey, "me@example.com")),
    ).rejects.toMatchObject({ code: "unauthorized" });
  });

  test("expiry is judged by the injected clock", async () => {
    const verify = createIdentityVerifier({
      oidc: { issuer: provider.issuer, jwksUrl: provider.jwksUrl, audience: provider.audience },
      now: () => Date.now() + 2 * 3600_000,
    });
    await expect(verify(await provider.mintIdToken())).rejects.toMatchObject({
      message: expect.stringContaining("expired"),
    });
  });
});
