/**
 * What one id_token resolved to is kept until the token expires (or the cache's own limit),
 * so repeated requests skip the signature check and the user lookup; nothing outlives it.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "@trainer2/db/testing";
import { createLogger } from "@trainer2/shared/logger";
import { createAuthenticate } from "./authenticate.ts";
import type { IdentityVerifier, VerifiedIdentity } from "./identity.ts";

setDefaultTimeout(60_000);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

const logger = createLogger({ service: "api", level: "silent" });

/** A verifier that knows each token's identity and counts what it was asked. */
function countingVerifier(identities: Record<string, VerifiedIdentity>) {
  const asked: string[] = [];
  const verify: IdentityVerifier = async (token) => {
    asked.push(token);
    const identity = identities[token];
    if (!identity) throw new Error("unknown token");
    return identity;
  };
  return { verify, asked };
}

const identity = (subject: string, expiresAt: number): VerifiedIdentity => ({
  issuer: "https://issuer.test",
  subject,
  email: `${subject}@example.com`,
  name: subject,
  picture: null,
  expiresAt,
});

describe("authenticate", () => {
  test("one verification per token until it expires", async () => {
    let now = 1_000_000_000_000;
    const { verify, asked } = countingVerifier({ a: identity("ann", now / 1000 + 30) });
    const authenticate = createAuthenticate(
      { sql: db.sql, verifyIdentity: verify, logger },
      { cacheMs: 60_000, now: () => now },
    );
    const first = await authenticate("a");
    expect((await authenticate("a")).user.id).toBe(first.user.id);
    expect(asked).toEqual(["a"]);
    // The token's own expiry (30 s) comes before the cache's limit (60 s).
    now += 30_000;
    await authenticate("a");
    expect(asked).toEqual(["a", "a"]);
  });

  test("the cache's limit bounds how long a long-lived token is trusted without a check", async () => {
    let now = 1_000_000_000_000;
    const { verify, asked } = countingVerifier({ b: identity("bea", now / 1000 + 3600) });
    const authenticate = createAuthenticate(
      { sql: db.sql, verifyIdentity: verify, logger },
      { cacheMs: 1000, now: () => now },
    );
    await authenticate("b");
    now += 999;
    await authenticate("b");
    expect(asked).toHaveLength(1);
    now += 1;
    await authenticate("b");
    expect(asked).toHaveLength(2);
  });

  test("forget drops a user's entries; a full cache evicts its oldest entry", async () => {
    const later = Date.now() / 1000 + 3600;
    const { verify, asked } = countingVerifier({
      c: identity("cid", later),
      d: identity("dee", later),
      e: identity("eve", later),
    });
    const authenticate = createAuthenticate(
      { sql: db.sql, verifyIdentity: verify, logger },
      { maxEntries: 2 },
    );
    const cid = await authenticate("c");
    authenticate.forget?.(cid.user.id);
    await authenticate("c");
    expect(asked).toEqual(["c", "c"]);
    await authenticate("d");
    await authenticate("e"); // evicts c, the oldest
    await authenticate("d");
    await authenticate("c");
    expect(asked).toEqual(["c", "c", "d", "e", "c"]);
  });

  test("a token that fails verification is not cached", async () => {
    const { verify, asked } = countingVerifier({});
    const authenticate = createAuthenticate({ sql: db.sql, verifyIdentity: verify, logger });
    await expect(authenticate("bad")).rejects.toThrow("unknown token");
    await expect(authenticate("bad")).rejects.toThrow("unknown token");
    expect(asked).toEqual(["bad", "bad"]);
  });
});
