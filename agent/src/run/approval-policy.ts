/**
 * Whether one call of a tool published as `conditional` must wait for the person: the api
 * answers (POST /tools/:name/approval), since its rule reads the person's data (e.g.
 * update_profile asks before it overwrites a stored goal). When the api cannot say, the
 * person is asked: the api refuses a call without their approval anyway, so asking is the
 * side that never loses a write the person wanted nor makes one they did not.
 */
import { approvalNeededResponse } from "@trainer2/shared/wire";
import { postToApi, type RunToolScope, type ToolDeps } from "./tools.ts";

export async function askApproval(
  name: string,
  args: unknown,
  deps: Pick<ToolDeps, "apiUrl" | "agentJwt" | "logger" | "timeoutMs">,
  run: Pick<RunToolScope, "runToken" | "runId" | "signal">,
): Promise<boolean> {
  try {
    const response = await postToApi(`/tools/${name}/approval`, args, deps, run);
    const answer = approvalNeededResponse.safeParse(await response.json().catch(() => null));
    if (answer.success) return answer.data.result.needed;
    deps.logger.warn("the api did not say whether a call needs approval", {
      tool: name,
      runId: run.runId,
      status: response.status,
    });
  } catch (error) {
    // The run itself was aborted: let the SDK stop.
    if (run.signal.aborted) throw error;
    deps.logger.warn("could not ask whether a call needs approval", {
      tool: name,
      runId: run.runId,
      cause: error,
    });
  }
  return true;
}
