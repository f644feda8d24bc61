import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cachedDiscovery, DiscoveryError, discoveryUrlOf, fetchDiscovery } from "./oidc.ts";

// A provider's discovery endpoint on loopback (the edge of the world), answering what a test sets.
let reply: { status: number; body: unknown } = { status: 200, body: {} };
let served = 0;
let server: ReturnType<typeof Bun.serve>;
let base: string;

const document = (issuer: string) => ({
  issuer,
  authorization_endpoint: `${issuer}/auth`,
  token_endpoint: `${issuer}/token`,
  jwks_uri: `${issuer}/jwks`,
});

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => {
      served += 1;
      return Response.json(reply.body, { status: reply.status });
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.stop(true));

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: DiscoveryError) => ({ reason: error.reason, message: error.message }),
  );

describe("OpenID discovery", () => {
  test("the well-known URL of an issuer, with or without a trailing slash", () => {
    expect(discoveryUrlOf("https://id.example.com/realms/x")).toBe(
      "https://id.example.com/realms/x/.well-known/openid-configuration",
    );
    expect(discoveryUrlOf("https://tenant.auth0.com/")).toBe(
      "https://tenant.auth0.com/.well-known/openid-configuration",
    );
  });

  test("reads the endpoints and checks the issuer it names", async () => {
    reply = { status: 200, body: document(base) };
    const found = await fetchDiscovery(`${base}/d`, { expectIssuer: base });
    expect(found.jwks_uri).toBe(`${base}/jwks`);
    expect(found.token_endpoint).toBe(`${base}/token`);
    const wrong = await failureOf(fetchDiscovery(`${base}/d`, { expectIssuer: "https://other" }));
    expect(wrong).toEqual({
      reason: "bad_document",
      message: `OpenID discovery at ${base}/d names issuer ${base}, not https://other`,
    });
  });

  test("an unreachable or failing provider is 'unreachable'; a wrong body names its field", async () => {
    expect(await failureOf(fetchDiscovery("http://127.0.0.1:9/d"))).toEqual({
      reason: "unreachable",
      message: "OpenID discovery at http://127.0.0.1:9/d unreachable",
    });
    reply = { status: 503, body: {} };
    expect((await failureOf(fetchDiscovery(`${base}/d`)))?.reason).toBe("unreachable");
    reply = { status: 404, body: {} };
    expect((await failureOf(fetchDiscovery(`${base}/d`)))?.reason).toBe("bad_document");
    reply = { status: 200, body: { ...document(base), jwks_uri: undefined } };
    expect((await failureOf(fetchDiscovery(`${base}/d`)))?.message).toContain("(jwks_uri)");
  });

  test("the cache keeps a document, forgets a failure, and refetches when stale", async () => {
    let now = 0;
    const discover = cachedDiscovery(`${base}/d`, { maxAgeMs: 1000, now: () => now });
    reply = { status: 503, body: {} };
    await expect(discover()).rejects.toBeInstanceOf(DiscoveryError);
    reply = { status: 200, body: document(base) };
    const before = served;
    expect((await discover()).issuer).toBe(base);
    expect((await discover()).issuer).toBe(base);
    expect(served).toBe(before + 1);
    now = 1000;
    await discover();
    expect(served).toBe(before + 2);
  });
});
