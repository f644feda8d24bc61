/**
 * The capabilities document is untrusted input even when signed: names become file names and
 * SDK tool names. A fake api at the edge signs whatever it is given with a real key.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import { importPrivateKey, importPublicKey, signDetached } from "@trainer2/shared/tokens";
import { headers } from "@trainer2/shared/wire";
import { fetchCapabilities } from "./fetch.ts";

const apiKeys = await generatePemKeyPair();
const agentKeys = await generatePemKeyPair();
const apiPrivateKey = await importPrivateKey(apiKeys.privateKey);
let document: unknown;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch() {
    const body = JSON.stringify(document);
    return new Response(body, {
      headers: {
        "content-type": "application/json",
        [headers.capabilitiesSignature]: await signDetached(body, apiPrivateKey),
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
