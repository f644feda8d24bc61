/**
 * Every HTTP route of the api and the agent answers a bad request with the one error shape,
 * `{error: {code, message}}`, with the failure registry's status for the code. The routes are
 * read from the apps themselves, so a route added without a case here fails this test.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { TestAgent } from "@trainer2/agent/testing";
import type { TestApi } from "@trainer2/api/testing";
import { errorDetail } from "@trainer2/shared/errors";
import { failures } from "@trainer2/shared/failures";
import { importPrivateKey, signAgentJwt } from "@trainer2/shared/tokens";
import { headers } from "@trainer2/shared/wire";
import { createStack, type Stack } from "@trainer2/testkit";
import type { Hono } from "hono";

setDefaultTimeout(60_000);

type BadRequest = { what: string; path: string; init?: RequestInit; status?: number };

let stack: Stack;
let api: TestApi;
let agent: TestAgent;

beforeAll(async () => {
  stack = await createStack();
  api = await stack.startApi();
  // The agent's api is unreachable: a sync it is asked for fails, which is its bad request.
  agent = await stack.startAgent({ apiUrl: "http://127.0.0.1:9", synced: false });
});
afterAll(async () => {
  await stack?.close();
});

const routesOf = (app: Hono) =>
  [
    ...new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`)),
  ].sort();

const wrongMethod = (path: string): BadRequest => ({
  what: "a method the route does not take",
  path,
  init: { method: "DELETE" },
});

async function apiCases(): Promise<Record<string, BadRequest[]>> {
  const agentJwt = await signAgentJwt(await importPrivateKey(api.keys.agentPrivateKey));
  const idToken = await api.identity.mintIdToken();
  const signedIn = { authorization: `Bearer ${idToken}` };
  return {
    "GET /health": [wrongMethod("/health")],
    "GET /metrics": [wrongMethod("/metrics")],
    "GET /state": [
      { what: "no token", path: "/state" },
      {
        what: "a malformed session id",
        path: "/state?sessionId=nope",
        init: { headers: { authorization: `Bearer ${idToken}` } },
      },
    ],
    "GET /realtime": [{ what: "no upgrade", path: "/realtime", status: 426 }],
    "PATCH /sessions/:id": [
      { what: "no token", path: `/sessions/${crypto.randomUUID()}`, init: { method: "PATCH" } },
      {
        what: "an empty title",
        path: `/sessions/${crypto.randomUUID()}`,
        init: { method: "PATCH", headers: signedIn, body: JSON.stringify({ title: " " }) },
      },
    ],
    "DELETE /sessions/:id": [
      {
        what: "a malformed session id",
        path: "/sessions/nope",
        init: { method: "DELETE", headers: signedIn },
      },
    ],
    "GET /account/export": [{ what: "no token", path: "/account/export" }],
    "DELETE /account": [
      {
        what: "a confirmation that is not the account's email",
        path: "/account",
        init: { method: "DELETE", headers: signedIn, body: JSON.stringify({ email: "x@y.z" }) },
      },
    ],
    "GET /capabilities": [{ what: "no agent token", path: "/capabilities" }],
    "POST /tools/:name": [
      { what: "no agent token", path: "/tools/get_profile", init: { method: "POST" } },
      {
        what: "a forged run token",
        path: "/tools/get_profile",
        init: {
          method: "POST",
          headers: { authorization: `Bearer ${agentJwt}`, [headers.runToken]: "forged" },
          body: "{}",
        },
      },
    ],
    "POST /tools/:name/approval": [
      {
        what: "no agent token",
        path: "/tools/update_profile/approval",
        init: { method: "POST", body: "{}" },
      },
      {
        what: "a forged run token",
        path: "/tools/update_profile/approval",
        init: {
          method: "POST",
          headers: { authorization: `Bearer ${agentJwt}`, [headers.runToken]: "forged" },
          body: "{}",
        },
      },
    ],
  };
}

const agentCases: Record<string, BadRequest[]> = {
  "GET /health": [wrongMethod("/health")],
  "GET /metrics": [wrongMethod("/metrics")],
  "POST /update": [{ what: "the api unreachable", path: "/update", init: { method: "POST" } }],
  "POST /run": [
    { what: "no token", path: "/run", init: { method: "POST", body: "{" } },
    {
      what: "a forged token",
      path: "/run",
      init: { method: "POST", headers: { authorization: "Bearer forged" }, body: "{}" },
    },
  ],
};

async function expectErrorShape(baseUrl: string, bad: BadRequest) {
  const response = await fetch(`${baseUrl}${bad.path}`, bad.init);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  const label = `${bad.init?.method ?? "GET"} ${bad.path} (${bad.what})`;
  expect({ label, keys: Object.keys(body as object) }).toEqual({ label, keys: ["error"] });
  const detail = errorDetail.parse((body as { error: unknown }).error);
  expect({ label, status: response.status }).toEqual({
    label,
    status: bad.status ?? failures[detail.code].status,
  });
  expect(detail.message.length).toBeGreaterThan(0);
}

describe("one error shape on every route", () => {
  test("the api: every route's bad request, unknown routes included", async () => {
    const cases = await apiCases();
    expect(routesOf(api.app.app)).toEqual(Object.keys(cases).sort());
    for (const bad of [...Object.values(cases).flat(), { what: "unknown", path: "/nowhere" }])
      await expectErrorShape(api.url, bad);
  });

  test("the agent: every route's bad request, unknown routes included", async () => {
    expect(routesOf(agent.app)).toEqual(Object.keys(agentCases).sort());
    for (const bad of [...Object.values(agentCases).flat(), { what: "unknown", path: "/nowhere" }])
      await expectErrorShape(agent.url, bad);
  });
});
