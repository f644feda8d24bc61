import { describe, expect, test } from "bun:test";
import { toolLineOf } from "./message-tools.ts";

describe("toolLineOf: a stored call reads as its live line ended", () => {
  test("ok: the agent's summary, '<tool> done'", () => {
    expect(toolLineOf({ tool: "update_profile", status: "ok", result: { profile: {} } })).toEqual({
      name: "update_profile",
      status: "ok",
      summary: "update_profile done",
    });
  });

  test("error, invalid and refused are errors with the message the agent was given", () => {
    const error = (status: "error" | "invalid" | "refused", message: string) =>
      toolLineOf({ tool: "log_workout", status, result: { code: "x", message } });
    expect(error("error", "Date is in the future")).toEqual({
      name: "log_workout",
      status: "error",
      summary: "Date is in the future",
    });
    expect(error("invalid", "Invalid arguments: kind: Required").summary).toBe(
      "Invalid arguments: kind: Required",
    );
    expect(error("refused", "This run may not act on that session.").status).toBe("error");
  });

  test("an error without a readable message has no summary (the web words it by name)", () => {
    expect(toolLineOf({ tool: "get_profile", status: "error", result: null })).toEqual({
      name: "get_profile",
      status: "error",
    });
    expect(toolLineOf({ tool: "get_profile", status: "error", result: { message: 3 } })).toEqual({
      name: "get_profile",
      status: "error",
    });
    // jsonb handed over as text is read the same way.
    expect(
      toolLineOf({ tool: "get_profile", status: "error", result: '{"message":"Gone"}' }).summary,
    ).toBe("Gone");
  });
});
