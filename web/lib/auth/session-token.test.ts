import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import { decodeJwt, SignJWT } from "jose";
import type { Account } from "next-auth";
import { devMinter } from "./dev-login";
import {
  nextSessionToken,
  refreshDue,
  refreshMargin,
  refreshMarginSeconds,
  type TokenDeps,
} from "./session-token";
import { refreshIdToken } from "./token-refresh";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

// Fake Google token endpoint (edge of the world); everything else is the real code.
let status = 200;
let refreshes = 0;
let server: ReturnType<typeof Bun.serve>;
const newExp = 2_000_000_000;

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch() {
      refreshes += 1;
      if (status >= 500) return new Response("down", { status });
      if (status !== 200) return Response.json({ error: "invalid_grant" }, { status });
      const idToken = await new SignJWT({})
        .setProtectedHeader({ alg: "HS256" })
        .setExpirationTime(newExp)
        .sign(new TextEncoder().encode("fake"));
      return Response.json({ id_token: idToken, expires_in: 3599 });
    },
  });
});
afterAll(() => server.stop(true));

let now = 1_000_000;
const errors: string[] = [];
const deps = async (): Promise<TokenDeps> => ({
  nowSeconds: () => now,
  refreshers: {
    google: (rt) =>
      refreshIdToken(
        rt,
        { clientId: "c", clientSecret: "s" },
        { tokenUrl: `http://127.0.0.1:${server.port}/token` },
      ),
  },
  mintDev: devMinter((await generatePemKeyPair()).privateKey),
  onRefreshError: (provider) => errors.push(provider),
});

const googleAccount = (expiresAt: number): Account => ({
  provider: "google",
  type: "oauth",
  providerAccountId: "g-1",
  id_token: "google-id-token",
  refresh_token: "google-refresh",
  expires_at: expiresAt,
});

describe("session token lifecycle", () => {
  test("google sign-in keeps id_token, refresh token and expiry", async () => {
    const token = await nextSessionToken(
      { token: { email: "a@b.co" }, account: googleAccount(now + 3600) },
      await deps(),
    );
    expect(token).toMatchObject({
      provider: "google",
      idToken: "google-id-token",
      refreshToken: "google-refresh",
      idTokenExpiresAt: now + 3600,
    });
  });

  test("a fresh token is left alone; one inside the margin is refreshed at Google", async () => {
    const d = await deps();
    const signedIn = await nextSessionToken({ token: {}, account: googleAccount(now + 3600) }, d);
    const before = refreshes;
    expect(await nextSessionToken({ token: signedIn }, d)).toBe(signedIn);
    expect(refreshes).toBe(before);

    now += 3600 - refreshMarginSeconds + 1;
    const renewed = await nextSessionToken({ token: signedIn }, d);
    expect(refreshes).toBe(before + 1);
    expect(renewed.idTokenExpiresAt).toBe(newExp);
    expect(renewed.idToken).not.toBe("google-id-token");
    expect(renewed.refreshToken).toBe("google-refresh");
    expect(renewed.error).toBeUndefined();
  });

  test("update({ refresh: true }) forces a refresh even when the token looks fresh", async () => {
    const d = await deps();
    const signedIn = await nextSessionToken({ token: {}, account: googleAccount(now + 3600) }, d);
    const before = refreshes;
    await nextSessionToken({ token: signedIn, trigger: "update", session: { refresh: true } }, d);
    expect(refreshes).toBe(before + 1);
  });

  test("a refused refresh marks the session RefreshFailed", async () => {
    const d = await deps();
    const signedIn = await nextSessionToken({ token: {}, account: googleAccount(now - 10) }, d);
    status = 400;
    try {
      const failed = await nextSessionToken({ token: signedIn }, d);
      expect(failed.error).toBe("RefreshFailed");
      expect(errors).toContain("google");
    } finally {
      status = 200;
    }
  });

  test("dev sessions are re-minted before expiry", async () => {
    const d = await deps();
    const first = await d.mintDev!({ name: "Dev", email: "dev@example.com" });
    const signedIn = await nextSessionToken(
      {
        token: { name: "Dev", email: "dev@example.com" },
        user: {
          id: "dev:dev@example.com",
          idToken: first.idToken,
          idTokenExpiresAt: first.expiresAt,
        },
        account: { provider: "dev-login", type: "credentials", providerAccountId: "x" },
      },
      d,
    );
    expect(signedIn.idToken).toBe(first.idToken);
    now = first.expiresAt - refreshMarginSeconds + 5;
    const renewed = await nextSessionToken({ token: signedIn }, d);
    expect(renewed.idTokenExpiresAt).toBeGreaterThan(first.expiresAt - refreshMarginSeconds);
    expect(decodeJwt(renewed.idToken!).sub).toBe("dev:dev@example.com");
  });

  test("without a dev minter (dev login switched off) a dev session fails to renew", async () => {
    const d = { ...(await deps()), mintDev: undefined };
    const token = await nextSessionToken(
      { token: { provider: "dev-login", idTokenExpiresAt: 0, name: "x", email: "x@y.z" } },
      d,
    );
    expect(token.error).toBe("RefreshFailed");
  });

  test("a refused session is not sent to the provider again on every read", async () => {
    const d = await deps();
    const failed = { provider: "google" as const, idTokenExpiresAt: 0, refreshToken: "r" };
    const before = refreshes;
    const token = await nextSessionToken({ token: { ...failed, error: "RefreshFailed" } }, d);
    expect(token.error).toBe("RefreshFailed");
    expect(refreshes).toBe(before);
  });

  test("a provider that is down keeps the person signed in and tries again on the next read", async () => {
    const d = await deps();
    const signedIn = await nextSessionToken({ token: {}, account: googleAccount(now - 10) }, d);
    status = 503;
    try {
      const held = await nextSessionToken({ token: signedIn }, d);
      expect(held.error).toBe("RefreshUnavailable");
      expect(held.idToken).toBe("google-id-token");
      expect(held.refreshToken).toBe("google-refresh");
    } finally {
      status = 200;
    }
    const before = refreshes;
    const renewed = await nextSessionToken(
      { token: { ...signedIn, error: "RefreshUnavailable" } },
      d,
    );
    expect(refreshes).toBe(before + 1);
    expect(renewed.error).toBeUndefined();
    expect(renewed.idTokenExpiresAt).toBe(newExp);
  });

  test("any OpenID provider's sign-in is recorded under its own id and renewed by its refresher", async () => {
    const d = await deps();
    const calls: string[] = [];
    const oidcDeps: TokenDeps = {
      ...d,
      refreshers: {
        oidc: async (rt) => {
          calls.push(rt);
          return { idToken: "oidc-2", expiresAt: now + 600, refreshToken: "oidc-rt-2" };
        },
      },
    };
    const account = { ...googleAccount(now - 1), provider: "oidc", refresh_token: "oidc-rt-1" };
    const signedIn = await nextSessionToken({ token: {}, account }, oidcDeps);
    expect(signedIn.provider).toBe("oidc");
    const renewed = await nextSessionToken({ token: signedIn }, oidcDeps);
    expect(calls).toEqual(["oidc-rt-1"]);
    // A provider that rotates refresh tokens: the new one replaces the spent one.
    expect(renewed).toMatchObject({ idToken: "oidc-2", refreshToken: "oidc-rt-2" });
  });

  test("the margin is five minutes for hour-long tokens and a quarter of short ones", async () => {
    const token = async (lifetime: number) =>
      new SignJWT({})
        .setProtectedHeader({ alg: "HS256" })
        .setIssuedAt(1000)
        .setExpirationTime(1000 + lifetime)
        .sign(new TextEncoder().encode("k"));
    expect(refreshMargin(await token(3600), 4600)).toBe(refreshMarginSeconds);
    expect(refreshMargin(await token(300), 1300)).toBe(75);
    expect(refreshMargin(await token(12), 1012)).toBe(3);
    // Not a JWT (or no iat): the long margin, as before.
    expect(refreshMargin("opaque", 4600)).toBe(refreshMarginSeconds);
    const short = await token(12);
    expect(refreshDue(short, 1012, 1008)).toBe(false);
    expect(refreshDue(short, 1012, 1009)).toBe(true);
  });
});
