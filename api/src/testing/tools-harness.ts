/**
 * Test set-up shared by the tools and capabilities tests (not a test itself): a fresh
 * database, fresh key pairs, the mounted router, users with sessions made with plain SQL,
 * and token helpers for the agent side.
 */
import { insertTurn } from "@trainer2/db/queries/messages";
import { createTestDatabase, standInOwner, type TestDatabase } from "@trainer2/db/testing";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import {
  algOf,
  audiences,
  importPrivateKey,
  importPublicKey,
  issuers,
  type KeyLike,
  type RunClaims,
  signAgentJwt,
  signRunToken,
} from "@trainer2/shared/tokens";
import { headers } from "@trainer2/shared/wire";
import type { Hono } from "hono";
import { SignJWT } from "jose";
import type { Tool } from "../tools/define-tool.ts";
import { capabilitiesAndTools } from "../tools/index.ts";

export type Pair = { privateKey: KeyLike; publicKey: KeyLike; publicPem: string };

export async function keyPair(): Promise<Pair> {
  const pem = await generatePemKeyPair();
  return {
    privateKey: await importPrivateKey(pem.privateKey),
    publicKey: await importPublicKey(pem.publicKey),
    publicPem: pem.publicKey,
  };
}

export type Harness = Awaited<ReturnType<typeof createHarness>>;

export async function createHarness(options: { tools?: Tool[] } = {}) {
  const db: TestDatabase = await createTestDatabase();
  const [api, agent, stranger] = await Promise.all([keyPair(), keyPair(), keyPair()]);
  const stateChanges: { userId: string; sessionId: string }[] = [];
  const logged: string[] = [];
  const makeApp = (
    tools = options.tools,
    alsoOnStateChanged?: (userId: string, sessionId: string) => void,
  ): Hono =>
    capabilitiesAndTools({
      sql: db.sql,
      keys: {
        apiPrivateKey: api.privateKey,
        apiPublicKey: api.publicKey,
        agentPublicKey: agent.publicKey,
      },
      onStateChanged: (userId, sessionId) => {
        stateChanges.push({ userId, sessionId });
        alsoOnStateChanged?.(userId, sessionId);
      },
      tools,
      logger: { error: (message) => logged.push(message) },
    });
  const app = makeApp();

  async function createUser(subject = crypto.randomUUID()) {
    const [user] = await db.sql<{ id: string }[]>`
      insert into users (issuer, subject, name) values ('test', ${subject}, 'Test Person')
      returning id`;
    await db.sql`insert into profiles (user_id) values (${user!.id})`;
    const [session] = await db.sql<{ id: string }[]>`
      insert into chat_sessions (user_id, title) values (${user!.id}, 'test') returning id`;
    return { userId: user!.id, sessionId: session!.id };
  }

  const agentToken = () => signAgentJwt(agent.privateKey);
  const runToken = (claims: RunClaims) => signRunToken(claims, api.privateKey);

  /**
   * A run of `user` plus a function that calls a tool in it with valid tokens. A real run: its
   * turn is stored with the answer `streaming`, as the api stores one (a run token acts only
   * while its answer is written). A run still streaming in the session is ended first (one
   * answer at a time per session): its token acts no more.
   */
  async function startRun(user: { userId: string; sessionId: string }, via: Hono = app) {
    const run = { ...user, runId: crypto.randomUUID() };
    await db.sql`
      update messages set status = 'complete'
      where session_id = ${user.sessionId} and status = 'streaming'`;
    await insertTurn(db.sql, {
      sessionId: user.sessionId,
      text: "a test's question",
      clientMsgId: crypto.randomUUID(),
      runId: run.runId,
      ownerId: await standInOwner(db.sql),
    });
    const token = await runToken(run);
    let counter = 0;
    const call = async (
      name: string,
      args: unknown,
      options: { callId?: string; headers?: Record<string, string> } = {},
    ) =>
      via.request(`/tools/${name}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${await agentToken()}`,
          [headers.runToken]: token,
          [headers.toolCallId]: options.callId ?? `call_${++counter}`,
          "content-type": "application/json",
          ...options.headers,
        },
        body: typeof args === "string" ? args : JSON.stringify(args),
      });
    return { run, token, call };
  }

  /**
   * The person's recorded approval of one call (what the api writes when they press Approve
   * on its card): a tool that needs approval then runs for exactly that call.
   */
  async function approve(
    run: RunClaims,
    call: { callId: string; tool: string; args: Record<string, unknown> },
  ) {
    await db.sql.unsafe(
      `insert into tool_approvals (run_id, call_id, user_id, session_id, tool, arguments, summary,
         status, expires_at, decided_at, decided_by)
       values ($1, $2, $3, $4, $5, $6::jsonb, 'approved in a test', 'approved',
         now() + interval '1 hour', now(), $3)`,
      [run.runId, call.callId, run.userId, run.sessionId, call.tool, JSON.stringify(call.args)],
    );
  }

  return {
    db,
    sql: db.sql,
    approve,
    keys: { api, agent, stranger },
    app,
    makeApp,
    stateChanges,
    logged,
    createUser,
    agentToken,
    runToken,
    startRun,
    close: () => db.close(),
  };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

/**
 * Every way an agent token must be refused, by name. `undefined` means no Authorization
 * header; other values are the whole header.
 */
export async function badAgentAuthorizations(keys: {
  agent: Pair;
  stranger: Pair;
  api: Pair;
}): Promise<[string, string | undefined][]> {
  const claims = (over: Record<string, unknown> = {}) => ({
    iss: issuers.agent,
    aud: audiences.api,
    sub: "agent",
    iat: now(),
    exp: now() + 60,
    ...over,
  });
  const sign = (payload: Record<string, unknown>, key = keys.agent.privateKey) =>
    new SignJWT(payload).setProtectedHeader({ alg: algOf(key), typ: "JWT" }).sign(key);
  const hs256WithPublicKey = await new SignJWT(claims())
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(keys.agent.publicPem));
  const algNone = `${b64({ alg: "none", typ: "JWT" })}.${b64(claims())}.`;
  return [
    ["no Authorization header", undefined],
    ["another scheme", `Basic ${btoa("agent:secret")}`],
    ["garbage", "Bearer not-a-jwt"],
    ["expired", `Bearer ${await sign(claims({ iat: now() - 600, exp: now() - 60 }))}`],
    ["lives longer than 5 minutes", `Bearer ${await signAgentJwt(keys.agent.privateKey, 3600)}`],
    ["no exp", `Bearer ${await sign(claims({ exp: undefined }))}`],
    ["signed with another key", `Bearer ${await signAgentJwt(keys.stranger.privateKey)}`],
    ["signed with the api's key", `Bearer ${await signAgentJwt(keys.api.privateKey)}`],
    ["wrong issuer", `Bearer ${await sign(claims({ iss: "someone-else" }))}`],
    ["wrong audience", `Bearer ${await sign(claims({ aud: audiences.run }))}`],
    ["alg confusion: HS256 keyed with the public key", `Bearer ${hs256WithPublicKey}`],
    ["alg none", `Bearer ${algNone}`],
  ];
}
