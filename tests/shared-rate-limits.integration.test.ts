/**
 * Per-person limits hold across api processes: two processes on one Postgres spend from one
 * bucket per person (migration 0010), so a person cannot multiply what they may ask by the
 * number of processes a proxy spreads them over.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { errorBody } from "@trainer2/shared/errors";
import { importPrivateKey, signDevIdToken } from "@trainer2/shared/tokens";
import { createStack, type Service, type Stack } from "@trainer2/testkit";
import { realPostgresServer } from "@trainer2/testkit/postgres-cluster";

setDefaultTimeout(90_000);

let server: { url: string; close(): Promise<void> };
let stack: Stack;
let apis: Service[];

beforeAll(async () => {
  server = await realPostgresServer();
  stack = await createStack({
    database: { kind: "fresh", serverUrl: server.url, migrateInPlace: true },
  });
  // The smallest bucket the settings allow: one export (100 units), refilled at 1 unit/s.
  const env = { RATE_LIMIT_PER_SECOND: "1", RATE_LIMIT_BURST: "100" };
  apis = [await stack.startApiProcess({ env }), await stack.startApiProcess({ env })];
});
afterAll(async () => {
  await stack?.close();
  await server?.close();
});

async function tokenFor(email: string) {
  const key = await importPrivateKey(stack.keys.devLoginPrivateKey);
  return (await signDevIdToken({ email, name: "Casey" }, key)).idToken;
}

const exportOn = (api: Service, token: string) =>
  fetch(`${api.url}/account/export`, { headers: { authorization: `Bearer ${token}` } });

describe("per-person limits across processes", () => {
  test("an export on one process uses up the person's bucket on the other", async () => {
    const [a, b] = apis as [Service, Service];
    const token = await tokenFor("exporter@example.com");
    const first = await exportOn(a, token);
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    const second = await exportOn(b, token);
    expect(second.status).toBe(429);
    expect(Number(second.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const { error } = errorBody.parse(await second.json());
    expect(error.code).toBe("rate_limited");
    // Only that person's: someone else exports on the same process.
    const other = await exportOn(b, await tokenFor("bystander@example.com"));
    expect(other.status).toBe(200);
    await other.arrayBuffer();
  });
});
