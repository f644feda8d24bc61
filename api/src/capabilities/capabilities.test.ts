import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { tool } from "@openai/agents";
import { errorBody } from "@trainer2/shared/errors";
import { runCommand } from "@trainer2/shared/testing/run-command";
import { verifyDetached } from "@trainer2/shared/tokens";
import { capabilitiesDto, headers } from "@trainer2/shared/wire";
import { z } from "zod";
import { badAgentAuthorizations, createHarness, type Harness } from "../testing/tools-harness.ts";
import { defineTool } from "../tools/define-tool.ts";
import { loadTools } from "../tools/registry.ts";
import { undescribedColumn } from "./table-cards.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

async function fetchCapabilities(app = h.app, extra: Record<string, string> = {}) {
  return app.request("/capabilities", {
    headers: { authorization: `Bearer ${await h.agentToken()}`, ...extra },
  });
}

async function fetchDocument(app = h.app) {
  const response = await fetchCapabilities(app);
  expect(response.status).toBe(200);
  return capabilitiesDto.parse(await response.json());
}

describe("GET /capabilities", () => {
  test("serves the signed document: tools, table cards, version and ETag", async () => {
    const response = await fetchCapabilities();
    expect(response.status).toBe(200);
    const body = await response.text();
    const signature = response.headers.get(headers.capabilitiesSignature);
    expect(signature).toBeString();
    // The agent's check: the exact bytes, the api's public key.
    await verifyDetached(body, signature!, h.keys.api.publicKey);
    await expect(verifyDetached(`${body} `, signature!, h.keys.api.publicKey)).rejects.toThrow();
    await expect(verifyDetached(body, signature!, h.keys.stranger.publicKey)).rejects.toThrow();

    const document = capabilitiesDto.parse(JSON.parse(body));
    expect(response.headers.get("etag")).toBe(`"${document.version}"`);
    expect(document.version).toMatch(/^[0-9a-f]{64}$/);
    expect(document.tools.map((t) => t.name)).toEqual([
      "delete_workout",
      "get_profile",
      "get_training_summary",
      "list_workouts",
      "log_workout",
      "update_profile",
    ]);
    expect(document.tables.map((t) => t.name)).toEqual(["profiles", "workouts"]);
    const workouts = document.tables.find((t) => t.name === "workouts")!;
    expect(workouts.columns.find((c) => c.name === "performed_on")).toEqual({
      name: "performed_on",
      type: "date",
      nullable: false,
      description: "The calendar day of the workout.",
    });
    expect(workouts.columns.find((c) => c.name === "exercises")?.type).toBe("jsonb");
  });

  test("the body is canonical JSON: keys sorted, no whitespace", async () => {
    const body = await (await fetchCapabilities()).text();
    expect(body.startsWith('{"tables":[')).toBe(true);
    expect(body).not.toContain("\n");
    expect(body).toContain('"parameters":{"additionalProperties":false,"properties":');
  });

  test("If-None-Match with the current version gives 304 without a body", async () => {
    const first = await fetchCapabilities();
    const etag = first.headers.get("etag")!;
    const again = await fetchCapabilities(h.app, { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect(again.headers.get("etag")).toBe(etag);
    const weak = await fetchCapabilities(h.app, { "if-none-match": `"other", W/${etag}` });
    expect(weak.status).toBe(304);
    const stale = await fetchCapabilities(h.app, { "if-none-match": '"0000"' });
    expect(stale.status).toBe(200);
  });

  test("every published schema is accepted, unchanged, by the Agents SDK strict tool builder", async () => {
    const document = await fetchDocument();
    for (const spec of document.tools) {
      const built = tool({
        name: spec.name,
        description: spec.description,
        parameters: spec.parameters as never,
        strict: true,
        execute: async () => "ok",
      });
      expect(built.strict).toBe(true);
      // Already strict: the SDK had nothing to rewrite.
      expect(built.parameters as unknown).toEqual(spec.parameters);
    }
  });

  test("version is stable across app instances and across a process restart", async () => {
    const one = await fetchDocument(h.app);
    const two = await fetchDocument(h.makeApp());
    expect(two.version).toBe(one.version);

    // A fresh process computes the document from the same code and database.
    const script = `
      const { buildCapabilities } = await import(${JSON.stringify(`${import.meta.dir}/document.ts`)});
      const { loadTools } = await import(${JSON.stringify(`${import.meta.dir}/../tools/registry.ts`)});
      const { createSql } = await import("@trainer2/db");
      const sql = createSql(process.env.CAPS_DB_URL, { max: 1 });
      const { document } = await buildCapabilities(sql, await loadTools());
      console.log(document.version);
      await sql.end();`;
    const {
      stdout: out,
      stderr: err,
      code,
    } = await runCommand(["bun", "-e", script], {
      cwd: import.meta.dir,
      env: { ...process.env, CAPS_DB_URL: h.db.url },
    });
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out.trim()).toBe(one.version);
  });

  test("version changes when a tool's schema changes", async () => {
    const tools = await loadTools();
    const before = await fetchDocument(h.makeApp(tools));
    const summary = tools.find((t) => t.name === "get_training_summary")!;
    const changed = {
      ...summary,
      input: z.strictObject({ weeks: z.number().int().min(1).max(104).nullable() }),
    };
    const after = await fetchDocument(
      h.makeApp(tools.map((t) => (t.name === summary.name ? changed : t))),
    );
    expect(after.version).not.toBe(before.version);

    const extra = defineTool({
      name: "zz_extra",
      description: "A tool added by the test.",
      input: z.strictObject({}),
      activity: { running: "Adding…", done: "Added", failed: "Could not add" },
      mutates: false,
      handler: async () => null,
    });
    const added = await fetchDocument(h.makeApp([...tools, extra]));
    expect(added.version).not.toBe(before.version);
    expect(added.tools.at(-1)?.name).toBe("zz_extra");
  });

  test("a migration that adds a column changes the version and shows in the card", async () => {
    const before = await fetchDocument();
    await h.sql`alter table workouts add column perceived_effort integer`;
    const after = await fetchDocument();
    expect(after.version).not.toBe(before.version);
    const column = after.tables
      .find((t) => t.name === "workouts")!
      .columns.find((c) => c.name === "perceived_effort");
    expect(column).toEqual({
      name: "perceived_effort",
      type: "integer",
      nullable: true,
      description: undescribedColumn,
    });
    // The old ETag no longer matches.
    const stale = await fetchCapabilities(h.app, { "if-none-match": `"${before.version}"` });
    expect(stale.status).toBe(200);
  });

  test("refuses every bad agent token with 401 {error: {code, message}}", async () => {
    const cases = await badAgentAuthorizations(h.keys);
    for (const [name, authorization] of cases) {
      const response = await h.app.request("/capabilities", {
        headers: authorization === undefined ? {} : { authorization },
      });
      expect({ name, status: response.status }).toEqual({ name, status: 401 });
      const body = errorBody.parse(await response.json());
      expect(body.error.code).toBe("unauthorized");
      expect(body.error.message).toBeString();
      expect(response.headers.get(headers.capabilitiesSignature)).toBeNull();
    }
  });
});
