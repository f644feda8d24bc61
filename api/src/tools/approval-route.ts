/**
 * POST /tools/:name/approval for the agent: whether this call of a tool published as
 * `conditional` must wait for the person's approval (the SDK asks before it runs the call,
 * see agent/src/run/tools.ts). Same credentials as POST /tools/:name (agent JWT + the run's
 * token, which says whose data the rule reads); the body is the arguments. Answers
 * `{result: {needed}}` in the tool response shape. Arguments the tool refuses need no
 * approval: the call itself then answers invalid_arguments to the model, and nobody is asked
 * about a call that cannot run. Asking is advice only: POST /tools/:name checks it again.
 */
import { runScope } from "@trainer2/db/queries/messages";
import { AppError } from "@trainer2/shared/errors";
import { headers } from "@trainer2/shared/wire";
import type { Context } from "hono";
import { requireAgent } from "../capabilities/agent-auth.ts";
import { needsApproval } from "./define-tool.ts";
import { failure, readArguments, requireRun, type ToolRouteDeps } from "./tool-route.ts";

type Deps = Pick<ToolRouteDeps, "sql" | "tools" | "apiPublicKey" | "agentPublicKey">;

export function approvalNeededHandler(deps: Deps) {
  return async (c: Context) => {
    try {
      await requireAgent(c.req.header("authorization"), deps.agentPublicKey);
      const run = await requireRun(c.req.header(headers.runToken), deps.apiPublicKey);
      const scope = await runScope(deps.sql, run);
      if (!scope.owned) throw new AppError("forbidden", "This run may not act on that session.");
      if (!scope.live) throw new AppError("run_ended", "This run is no longer being answered.");
      const name = c.req.param("name") ?? "";
      const tool = (await deps.tools()).find((candidate) => candidate.name === name);
      if (!tool) throw new AppError("not_found", `There is no tool named "${name}".`);
      const { args, bodyError } = await readArguments(c);
      if (bodyError) throw new AppError("bad_request", bodyError);
      const parsed = tool.input.safeParse(args);
      const needed =
        parsed.success &&
        (await needsApproval(tool, { sql: deps.sql, userId: run.userId }, parsed.data));
      return c.json({ result: { needed } });
    } catch (error) {
      return failure(c, error);
    }
  };
}
