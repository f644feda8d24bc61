/**
 * What the agent refuses before doing any work: a /run body over its limit (413, not read
 * into memory), and a sync request (`POST /update`) from a caller that is neither on this
 * machine nor holding the api's token.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { errorBody } from "@trainer2/shared/errors";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import { importPrivateKey, signServiceJwt } from "@trainer2/shared/tokens";
import { startTestAgent, type TestAgent } from "./testing/index.ts";

setDefaultTimeout(60_000);

const api = await generatePemKeyPair();
const agentKeys = await generatePemKeyPair();
let open: TestAgent;
let strict: TestAgent;

const start = (updateFromLoopback: boolean) =>
  startTestAgent({
    // Nothing listens there: a sync that gets past the gate fails with 503 unavailable.
    apiUrl: "http://127.0.0.1:9",
    apiPublicKey: api.publicKey,
    agentPrivateKey: agentKeys.privateKey,
    runMaxBodyBytes: 64 * 1024,
    updateFromLoopback,
  });

beforeAll(async () => {
  [open, strict] = await Promise.all([start(true), start(false)]);
});
afterAll(async () => {
  await Promise.all([open?.close(), strict?.close()]);
});

async function refusal(response: Response) {
  return { status: response.status, code: errorBody.parse(await response.json()).error.code };
}

describe("POST /run body limit", () => {
  test("a body over the limit is refused with 413 in the one error shape", async () => {
    const response = await fetch(`${open.url}/run`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer whatever" },
      body: JSON.stringify({ input: "x".repeat(200 * 1024) }),
    });
    expect(await refusal(response)).toEqual({ status: 413, code: "payload_too_large" });
  });
});

describe("POST /update", () => {
  const update = (agent: TestAgent, authorization?: string) =>
    fetch(`${agent.url}/update`, {
      method: "POST",
      ...(authorization ? { headers: { authorization } } : {}),
    });

  test("from this machine without a token: the sync runs (here: the api is down, 503)", async () => {
    expect(await refusal(await update(open))).toEqual({ status: 503, code: "unavailable" });
  });

  test("when loopback is not trusted: only the api's own token gets through", async () => {
    expect(await refusal(await update(strict))).toEqual({ status: 401, code: "unauthorized" });
    const byAgent = await signServiceJwt("agent", await importPrivateKey(agentKeys.privateKey));
    expect(await refusal(await update(strict, `Bearer ${byAgent}`))).toEqual({
      status: 401,
      code: "unauthorized",
    });
    const byApi = await signServiceJwt("api", await importPrivateKey(api.privateKey));
    expect(await refusal(await update(strict, `Bearer ${byApi}`))).toEqual({
      status: 503,
      code: "unavailable",
    });
  });
});
