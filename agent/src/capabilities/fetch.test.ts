/**
 * The capabilities document is untrusted input even when signed: names become file names and
 * SDK tool names. A fake api at the edge signs whatever it is given with a real key.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import { createLogger } from "@trainer2/shared/logger";
import { importPrivateKey, importPublicKey, signDetached } from "@trainer2/shared/tokens";
import { headers } from "@trainer2/shared/wire";
import { fetchCapabilities } from "./fetch.ts";
import { CapabilitySync } from "./sync.ts";

const apiKeys = await generatePemKeyPair();
const agentKeys = await generatePemKeyPair();
const apiPrivateKey = await importPrivateKey(apiKeys.privateKey);
let document: unknown;
/** What the fake api puts in the signature's header, as the api does: version and time. */
let claims: (version: string) => Record<string, string | number> = (ver) => ({
  ver,
  iat: Math.floor(Date.now() / 1000),
});
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch() {
    const body = JSON.stringify(document);
    const version = (document as { version: string }).version;
    return new Response(body, {
      headers: {
        "content-type": "application/json",
        [headers.capabilitiesSignature]: await signDetached(body, apiPrivateKey, claims(version)),
      },
    });
  },
});
afterAll(() => server.stop(true));

const fetchNow = async () =>
  fetchCapabilities({
    apiUrl: `http://127.0.0.1:${server.port}`,
    agentPrivateKey: await importPrivateKey(agentKeys.privateKey),
    apiPublicKey: await importPublicKey(apiKeys.publicKey),
  });

const tool = (name: string) => ({
  name,
  description: name,
  parameters: { type: "object", properties: {} },
  activity: { running: `${name}…`, done: `${name} done`, failed: `${name} failed` },
});
const table = (name: string) => ({ name, description: name, columns: [] });

describe("fetchCapabilities", () => {
  test("a well-formed signed document is accepted", async () => {
    document = { version: "v1", tools: [tool("log_workout")], tables: [table("workouts")] };
    const result = await fetchNow();
    expect(result).toMatchObject({ status: "ok", capabilities: { version: "v1" } });
  });

  test("a table name that could leave generated/ is refused", async () => {
    document = { version: "v2", tools: [], tables: [table("../../etc/passwd")] };
    await expect(fetchNow()).rejects.toThrow(/table name/);
  });

  test("two tools or two tables with one name are refused (one file, one SDK tool each)", async () => {
    document = { version: "v3", tools: [tool("log_workout"), tool("log_workout")], tables: [] };
    await expect(fetchNow()).rejects.toThrow(/log_workout.*more than once/);
    document = { version: "v4", tools: [], tables: [table("workouts"), table("workouts")] };
    await expect(fetchNow()).rejects.toThrow(/workouts.*more than once/);
  });
});

describe("the signature names the version and the time", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const restore = claims;
  afterAll(() => {
    claims = restore;
  });

  test("a signature without them, or naming another version, is refused", async () => {
    document = { version: "v5", tools: [], tables: [] };
    claims = () => ({});
    await expect(fetchNow()).rejects.toThrow(/names no version or time/);
    claims = () => ({ ver: "v1", iat: now() });
    await expect(fetchNow()).rejects.toThrow(/another version/);
  });

  test("the agent refuses a document signed before the one it has; its files stay", async () => {
    const dir = mkdtempSync(join(tmpdir(), "trainer2-capabilities-"));
    const options = {
      apiUrl: `http://127.0.0.1:${server.port}`,
      agentPrivateKey: await importPrivateKey(agentKeys.privateKey),
      apiPublicKey: await importPublicKey(apiKeys.publicKey),
      generatedDir: dir,
      intervalMs: 60_000,
      logger: createLogger({ service: "agent", level: "silent" }),
    };
    const sync = new CapabilitySync(options);
    try {
      document = { version: "new", tools: [tool("log_workout")], tables: [] };
      claims = (ver) => ({ ver, iat: now() });
      expect(await sync.syncNow()).toEqual({ version: "new", changed: true });
      // An older signed document, served again (a replay, or a stale api process).
      document = { version: "old", tools: [tool("delete_everything")], tables: [] };
      claims = (ver) => ({ ver, iat: now() - 3600 });
      await expect(sync.syncNow()).rejects.toThrow(/before the ones this agent has/);
      expect(sync.surface?.version).toBe("new");
      // A restarted agent reads the time from its files and refuses it too.
      const restarted = new CapabilitySync(options);
      await expect(restarted.syncNow()).rejects.toThrow(/before the ones this agent has/);
      // A newer one is taken.
      document = { version: "newer", tools: [], tables: [] };
      claims = (ver) => ({ ver, iat: now() + 1 });
      expect(await sync.syncNow()).toEqual({ version: "newer", changed: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
