import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createSql } from "@trainer2/db";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import { importPrivateKey, importPublicKey } from "@trainer2/shared/tokens";
import { createApp } from "../app.ts";
import { createIdentityVerifier } from "../auth/identity.ts";
import { startAgentDouble } from "../testing/agent-double.ts";
import { startTestApi, type TestApi } from "../testing/index.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

describe("GET /health", () => {
  test("db up, agent down: 200 with the detail", async () => {
    const response = await fetch(`${api.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "ok",
      db: "ok",
      agent: "unreachable",
      agentMode: null,
      process: api.app.hub.bus.processId,
    });
  });

  test("the agent's mode is reported when it is reachable", async () => {
    const agent = await startAgentDouble({ apiPublicKey: api.keys.apiPublicKey, mode: "openai" });
    try {
      api.setAgentUrl(agent.url);
      expect(await (await fetch(`${api.url}/health`)).json()).toMatchObject({
        agent: "ok",
        agentMode: "openai",
      });
    } finally {
      api.setAgentUrl("http://127.0.0.1:9");
      await agent.close();
    }
  });

  test("db down: 503 degraded, no stack trace", async () => {
    const pair = await generatePemKeyPair();
    // Nothing listens on the discard port: every query fails to connect.
    const sql = createSql("postgres://postgres@127.0.0.1:9/none", { max: 1, connectTimeout: 1 });
    const down = createApp({
      sql,
      keys: {
        apiPrivateKey: await importPrivateKey(pair.privateKey),
        apiPublicKey: await importPublicKey(pair.publicKey),
        agentPublicKey: await importPublicKey(pair.publicKey),
      },
      verifyIdentity: createIdentityVerifier({}),
      agentUrl: () => "http://127.0.0.1:9",
      webOrigin: "http://localhost:3000",
    });
    try {
      const response = await down.app.request("/health");
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ status: "degraded", db: "down" });
      expect(text).not.toContain("ECONNREFUSED");
      expect(text).not.toContain(" at ");
    } finally {
      await down.close();
      await sql.end({ timeout: 1 });
    }
  });
});
