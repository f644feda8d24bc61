import { describe, expect, test } from "bun:test";
import { failureCode, failures } from "@trainer2/shared/failures";
import { failureText, genericFailure } from "./failure-line";

describe("failureText", () => {
  test("every code a run can end with has its own wording, from the failure registry", () => {
    const runEndings = failureCode.options.filter((code) => "answer" in failures[code]);
    expect(runEndings).toEqual(
      expect.arrayContaining([
        "model_auth",
        "model_rate_limited",
        "model_unavailable",
        "model_timeout",
        "model_bad_request",
        "agent_error",
        "agent_unavailable",
        "timeout",
        "shutdown",
        "interrupted",
        "internal",
      ]),
    );
    for (const code of runEndings)
      expect([code, failureText({ code })]).toEqual([code, failures[code].message]);
  });

  test("a known code reads the same live (with a message) and reloaded (code only)", () => {
    const live = failureText({ code: "shutdown", message: "The server restarted mid-answer." });
    expect(live).toBe("The server restarted while answering.");
    expect(failureText({ code: "shutdown" })).toBe(live);
    // A restart that killed the process is stored as `interrupted`: it reads the same.
    expect(failureText({ code: "interrupted" })).toBe(live);
  });

  test("no error at all reads as a plain sentence", () => {
    expect(failureText(undefined)).toBe(genericFailure);
  });
});
