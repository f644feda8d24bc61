/**
 * update_profile's approval rule (issue 17): a call that overwrites or clears a stored goal
 * or limitation waits for the person; setting one for the first time, or anything else,
 * does not. The rule is published as `conditional`, answered to the agent by
 * POST /tools/:name/approval, and enforced again when the call runs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { headers } from "@trainer2/shared/wire";
import { toolSpecs } from "../capabilities/document.ts";
import { createHarness, type Harness } from "../testing/tools-harness.ts";
import { type ApprovalContext, needsApproval } from "./define-tool.ts";
import { loadTools } from "./registry.ts";
import updateProfile, { profileApproval } from "./update-profile.tool.ts";

/** Through the tool as the registry holds it (the rule is attached), on parsed arguments. */
const needed = (ctx: ApprovalContext, args: unknown) =>
  needsApproval(updateProfile, ctx, updateProfile.input.parse(args));

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const unchanged = {
  displayName: null,
  goals: null,
  experienceLevel: null,
  equipment: null,
  limitations: null,
  units: null,
};

/** A user whose profile holds a goal and a limitation. */
async function personWithGoal() {
  const user = await h.createUser();
  await h.sql`update profiles set goals = 'run a 5k', limitations = 'sore knee'
    where user_id = ${user.userId}`;
  return { user, ctx: { sql: h.sql, userId: user.userId } };
}

describe("update_profile's approval rule", () => {
  test("overwriting or clearing a stored goal or limitation needs the person", async () => {
    const { ctx } = await personWithGoal();
    const newGoal = { ...unchanged, goals: "run a 10k" };
    expect(await needed(ctx, newGoal)).toBe(true);
    expect(await profileApproval.summary(ctx, newGoal)).toBe(
      'Change your goals from "run a 5k" to "run a 10k".',
    );
    const cleared = { ...unchanged, limitations: "" };
    expect(await needed(ctx, cleared)).toBe(true);
    expect(await profileApproval.summary(ctx, cleared)).toBe(
      'Clear your limitations ("sore knee").',
    );
    const both = { ...unchanged, goals: "swim", limitations: "none" };
    expect(await profileApproval.summary(ctx, both)).toBe(
      'Change your goals from "run a 5k" to "swim" and change your limitations from "sore knee" to "none".',
    );
  });

  test("a first goal, the same goal again, or other fields go ahead without asking", async () => {
    const fresh = await h.createUser();
    const first = { sql: h.sql, userId: fresh.userId };
    expect(await needed(first, { ...unchanged, goals: "run a 5k" })).toBe(false);
    expect(await needed(first, { ...unchanged, limitations: "" })).toBe(false);
    const { ctx } = await personWithGoal();
    expect(await needed(ctx, { ...unchanged, goals: "  run a 5k " })).toBe(false);
    expect(
      await needed(ctx, {
        ...unchanged,
        displayName: "Sam",
        experienceLevel: "advanced",
        equipment: ["rower"],
        units: "imperial",
      }),
    ).toBe(false);
  });

  test("published as conditional; delete_workout as always; the rest never", async () => {
    const modes = Object.fromEntries(
      toolSpecs(await loadTools()).map((tool) => [tool.name, tool.approval]),
    );
    expect(modes).toMatchObject({
      update_profile: "conditional",
      delete_workout: "always",
      get_profile: "never",
      log_workout: "never",
    });
  });
});

describe("POST /tools/:name/approval and the call itself", () => {
  const ask = async (token: string, name: string, args: unknown) =>
    h.app.request(`/tools/${name}/approval`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await h.agentToken()}`,
        [headers.runToken]: token,
        "content-type": "application/json",
      },
      body: JSON.stringify(args),
    });

  test("answers for the run's user; the call runs only with their recorded approval", async () => {
    const { user } = await personWithGoal();
    const { run, token, call } = await h.startRun(user);
    const newGoal = { ...unchanged, goals: "run a 10k" };
    const asked = await ask(token, "update_profile", newGoal);
    expect(asked.status).toBe(200);
    expect(await asked.json()).toEqual({ result: { needed: true } });
    expect(
      await (await ask(token, "update_profile", { ...unchanged, units: "imperial" })).json(),
    ).toEqual({ result: { needed: false } });
    // Arguments the tool refuses: nobody is asked; the call answers invalid_arguments.
    expect(await (await ask(token, "update_profile", { goals: 3 })).json()).toEqual({
      result: { needed: false },
    });

    // Whatever the agent says, the call does not run unapproved.
    const refused = await call("update_profile", newGoal, { callId: "unapproved" });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      "approval_required",
    );
    const [before] = await h.sql`select goals from profiles where user_id = ${user.userId}`;
    expect(before).toEqual({ goals: "run a 5k" });

    await h.approve(run, { callId: "approved", tool: "update_profile", args: newGoal });
    const done = await call("update_profile", newGoal, { callId: "approved" });
    expect(done.status).toBe(200);
    const [after] = await h.sql`select goals from profiles where user_id = ${user.userId}`;
    expect(after).toEqual({ goals: "run a 10k" });
  });

  test("refused in the one error shape: no agent token, an unknown tool", async () => {
    const user = await h.createUser();
    const { token } = await h.startRun(user);
    const noAgent = await h.app.request("/tools/update_profile/approval", {
      method: "POST",
      headers: { [headers.runToken]: token },
      body: "{}",
    });
    expect(noAgent.status).toBe(401);
    expect(((await noAgent.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    const unknown = await ask(token, "no_such_tool", {});
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });
});
