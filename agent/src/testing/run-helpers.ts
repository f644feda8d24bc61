/**
 * Shared pieces of the agent's tests: a user and session in the real database, run tokens
 * signed like the api signs them, and reading a /run NDJSON stream.
 */
import type { TestApi } from "@trainer2/api/testing";
import type { Sql } from "@trainer2/db";
import { insertTurn } from "@trainer2/db/queries/messages";
import { standInOwner } from "@trainer2/db/testing";
import { importPrivateKey, signRunToken } from "@trainer2/shared/tokens";
import { type RunStreamEvent, runStreamEvent } from "@trainer2/shared/wire";
import { startTestAgent, type TestAgent, waitUntilReady } from "./index.ts";

export async function createUserAndSession(sql: Sql) {
  const subject = crypto.randomUUID();
  const [user] = await sql<{ id: string }[]>`
    insert into users (issuer, subject, email, name)
    values ('test', ${subject}, ${`${subject}@example.test`}, 'Test Person') returning id`;
  await sql`insert into profiles (user_id) values (${user!.id})`;
  const [session] = await sql<{ id: string }[]>`
    insert into chat_sessions (user_id, title) values (${user!.id}, 'test') returning id`;
  return { userId: user!.id, sessionId: session!.id };
}

export async function runBody(
  sql: Sql,
  apiPrivateKeyPem: string,
  input: string,
  history: Record<string, unknown>[] = [],
) {
  const { userId, sessionId } = await createUserAndSession(sql);
  const runId = crypto.randomUUID();
  // A real run: its turn stored with the answer streaming, as the api stores one before it
  // calls the agent (the api refuses the tool calls of a run that is not being written).
  await insertTurn(sql, {
    sessionId,
    text: input,
    clientMsgId: crypto.randomUUID(),
    runId,
    ownerId: await standInOwner(sql),
  });
  const token = await signRunToken(
    { userId, sessionId, runId },
    await importPrivateKey(apiPrivateKeyPem),
  );
  return { body: { runId, userId, sessionId, input, history }, token };
}

export function postRun(
  agentUrl: string,
  body: unknown,
  token: string | undefined,
  signal?: AbortSignal,
) {
  return fetch(`${agentUrl}/run`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

/** Every event of a /run response, each checked against the wire contract. */
export async function readEvents(response: Response): Promise<RunStreamEvent[]> {
  const text = await response.text();
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => runStreamEvent.parse(JSON.parse(line)));
}

export const openAiApis = ["chat_completions", "responses"] as const;
export type OpenAiApi = (typeof openAiApis)[number];

/** One ready agent per OpenAI API the SDK can speak, all on the same real api. */
export async function startAgentPerApi(
  api: TestApi,
  options: { offlineDelayMs?: number } = {},
): Promise<Record<OpenAiApi, TestAgent>> {
  const agents = {} as Record<OpenAiApi, TestAgent>;
  for (const mode of openAiApis) {
    agents[mode] = await startTestAgent({
      apiUrl: api.url,
      apiPublicKey: api.keys.apiPublicKey,
      agentPrivateKey: api.keys.agentPrivateKey,
      api: mode,
      ...options,
    });
    await waitUntilReady(agents[mode]);
  }
  return agents;
}
