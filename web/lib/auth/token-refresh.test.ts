import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { SignJWT } from "jose";
import { RefreshError, refreshIdToken } from "./token-refresh";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

// A fake token endpoint on loopback: the only double, at the edge of the world.
type Reply = { status: number; body: unknown };
let reply: Reply = { status: 200, body: {} };
const seen: URLSearchParams[] = [];
const seenAuthorization: (string | null)[] = [];
let server: ReturnType<typeof Bun.serve>;
let tokenUrl: string;

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      seenAuthorization.push(request.headers.get("authorization"));
      seen.push(new URLSearchParams(await request.text()));
      return Response.json(reply.body, { status: reply.status });
    },
  });
  tokenUrl = `http://127.0.0.1:${server.port}/token`;
});
afterAll(() => server.stop(true));

const client = { clientId: "client-1", clientSecret: "secret-1" };
/** Google's token endpoint took client_secret_post before discovery did. */
const refreshGoogleIdToken = (
  refreshToken: string,
  oauthClient: typeof client,
  options: { tokenUrl: string; nowSeconds?: number },
) => refreshIdToken(refreshToken, { ...oauthClient, authMethod: "client_secret_post" }, options);
const fakeIdToken = (exp: number) =>
  new SignJWT({ email: "a@b.co" })
    .setProtectedHeader({ alg: "HS256" })
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode("not-google"));

describe("refreshIdToken", () => {
  test("posts a refresh_token grant and takes expiry from the new id_token", async () => {
    const idToken = await fakeIdToken(2_000_000_000);
    reply = { status: 200, body: { id_token: idToken, expires_in: 3599, access_token: "at" } };
    const result = await refreshGoogleIdToken("rt-1", client, { tokenUrl, nowSeconds: 100 });
    expect(result).toEqual({ idToken, expiresAt: 2_000_000_000 });
    const form = seen.at(-1)!;
    expect(Object.fromEntries(form)).toEqual({
      grant_type: "refresh_token",
      refresh_token: "rt-1",
      client_id: "client-1",
      client_secret: "secret-1",
    });
  });

  test("keeps a rotated refresh token", async () => {
    const idToken = await fakeIdToken(2_000_000_000);
    reply = { status: 200, body: { id_token: idToken, expires_in: 3599, refresh_token: "rt-2" } };
    const result = await refreshGoogleIdToken("rt-1", client, { tokenUrl });
    expect(result.refreshToken).toBe("rt-2");
  });

  test("a refusal carries Google's error code, never the token", async () => {
    reply = { status: 400, body: { error: "invalid_grant", error_description: "Bad" } };
    const failure = await refreshGoogleIdToken("rt-secret", client, { tokenUrl }).catch((e) => e);
    expect(failure.reason).toBe("invalid_grant");
    expect(String(failure.message)).not.toContain("rt-secret");
  });

  test("an answer without id_token is refused, naming the field", async () => {
    reply = { status: 200, body: { access_token: "at", expires_in: 3599 } };
    const failure = await refreshGoogleIdToken("rt-1", client, { tokenUrl }).catch((e) => e);
    expect(failure.reason).toBe("bad_response");
    expect(failure.message).toContain("id_token");
  });

  test("an unreachable endpoint is a network failure", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const url = `http://127.0.0.1:${closed.port}/token`;
    closed.stop(true);
    const failure = await refreshGoogleIdToken("rt-1", client, { tokenUrl: url }).catch((e) => e);
    expect(failure.reason).toBe("network");
  });

  test("client_secret_basic sends the id and secret in the Authorization header, not the form", async () => {
    const idToken = await fakeIdToken(2_000_000_000);
    reply = { status: 200, body: { id_token: idToken, expires_in: 60 } };
    const odd = {
      clientId: "id with space",
      clientSecret: "s:e/c",
      authMethod: "client_secret_basic" as const,
    };
    await refreshIdToken("rt-1", odd, { tokenUrl });
    expect(Object.fromEntries(seen.at(-1)!)).toEqual({
      grant_type: "refresh_token",
      refresh_token: "rt-1",
    });
    expect(atob(seenAuthorization.at(-1)!.replace("Basic ", ""))).toBe("id+with+space:s%3Ae%2Fc");
  });

  test("only an unreachable or failing endpoint is transient; a refusal means signing in again", () => {
    expect(new RefreshError("x", "network").transient).toBe(true);
    expect(new RefreshError("x", "http_503").transient).toBe(true);
    expect(new RefreshError("x", "invalid_grant").transient).toBe(false);
    expect(new RefreshError("x", "http_400").transient).toBe(false);
    expect(new RefreshError("x", "bad_response").transient).toBe(false);
  });
});
