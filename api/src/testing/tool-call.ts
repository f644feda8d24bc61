/**
 * What the agent does for a tool, for tests that play the agent: `POST /tools/:name` with the
 * agent's JWT and the run's own token, both signed with the test's keys (PEM).
 */
import type { Sql } from "@trainer2/db";
import { insertTurn } from "@trainer2/db/queries/messages";
import { standInOwner } from "@trainer2/db/testing";
import { importPrivateKey, signAgentJwt, signRunToken } from "@trainer2/shared/tokens";
import { headers } from "@trainer2/shared/wire";

export async function callToolAsAgent(options: {
  apiUrl: string;
  keys: { apiPrivateKey: string; agentPrivateKey: string };
  run: { userId: string; sessionId: string; runId: string };
  tool: string;
  callId: string;
  args: unknown;
}): Promise<Response> {
  const { userId, sessionId, runId } = options.run;
  const [runToken, agentJwt] = await Promise.all([
    importPrivateKey(options.keys.apiPrivateKey).then((key) =>
      signRunToken({ userId, sessionId, runId }, key),
    ),
    importPrivateKey(options.keys.agentPrivateKey).then((key) => signAgentJwt(key)),
  ]);
  return fetch(`${options.apiUrl}/tools/${options.tool}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${agentJwt}`,
      [headers.runToken]: runToken,
      [headers.toolCallId]: options.callId,
      "content-type": "application/json",
    },
    body: JSON.stringify(options.args),
  });
}

/**
 * Stores a turn of `run` with its answer `streaming`, as the api does before it calls the
 * agent: a run token acts only while its run is being written, so a test that plays the agent
 * for a run of its own making stores it first.
 */
export async function storeStreamingRun(
  sql: Sql,
  run: { sessionId: string; runId: string },
  text = "a test's question",
) {
  const turn = await insertTurn(sql, {
    sessionId: run.sessionId,
    text,
    clientMsgId: crypto.randomUUID(),
    runId: run.runId,
    ownerId: await standInOwner(sql),
  });
  if ("duplicate" in turn) throw new Error("a fresh clientMsgId was taken");
  return turn;
}
