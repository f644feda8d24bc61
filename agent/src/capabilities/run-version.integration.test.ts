/**
 * Several agents behind one URL: each /run carries the capabilities version the api
 * publishes now, and an agent that is behind (another one got the /update) syncs before it
 * runs. Two real agents on one real api; a migration-like change moves the api's version.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { startTestApi, type TestApi } from "@trainer2/api/testing";
import { openSocket } from "@trainer2/api/testing/test-socket";
import { startTestAgent, type TestAgent, waitUntilReady } from "../testing/index.ts";

setDefaultTimeout(60_000);

let api: TestApi;
let behind: TestAgent;
let other: TestAgent;

beforeAll(async () => {
  api = await startTestApi({ realtime: { capabilitiesVersionTtlMs: 0 } });
  const start = () =>
    startTestAgent({
      apiUrl: api.url,
      apiPublicKey: api.keys.apiPublicKey,
      agentPrivateKey: api.keys.agentPrivateKey,
      // No scheduled sync during the test: only a run can bring one up to date.
      syncIntervalMs: 3_600_000,
    });
  [behind, other] = await Promise.all([start(), start()]);
  await Promise.all([waitUntilReady(behind), waitUntilReady(other)]);
});
afterAll(async () => {
  await Promise.all([behind?.close(), other?.close()]);
  await api?.close();
});

test("an agent behind the api's capabilities syncs before it runs; the others stay as they are", async () => {
  const before = behind.sync.surface?.version;
  expect(other.sync.surface?.version).toBe(before);
  // A column added by a migration changes the table cards, hence the version.
  await api.sql`alter table workouts add column perceived_effort integer`;
  api.setAgentUrl(behind.url);
  const token = await api.identity.mintIdToken();
  const socket = await openSocket(`${api.wsUrl}?token=${token}`);
  await socket.next("ready");
  socket.send({ type: "chat", text: "hello", clientMsgId: "after-migration" });
  await socket.next("run.completed");
  socket.close();
  expect(behind.sync.surface?.version).not.toBe(before);
  expect(other.sync.surface?.version).toBe(before);
  const card = behind.sync.surface?.tables.find((table) => table.name === "workouts");
  expect(card?.markdown).toContain("perceived_effort");
});
