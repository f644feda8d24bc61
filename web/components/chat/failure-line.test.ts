import { describe, expect, test } from "bun:test";
import { runFailureCode } from "@trainer2/shared/wire";
import { failureText, failureWording, genericFailure } from "./failure-line";

describe("failureText", () => {
  test("every code the agent and the api end a run with has its own wording", () => {
    const apiCodes = ["agent_unavailable", "timeout", "shutdown", "interrupted", "internal"];
    for (const code of [...runFailureCode.options, ...apiCodes])
      expect([code, failureWording[code]]).toEqual([code, expect.any(String)]);
  });

  test("a known code reads the same live (with a message) and reloaded (code only)", () => {
    const live = failureText({ code: "shutdown", message: "The server restarted mid-answer." });
    expect(live).toBe("The server restarted while answering.");
    expect(failureText({ code: "shutdown" })).toBe(live);
    // A restart that killed the process is stored as `interrupted`: it reads the same.
    expect(failureText({ code: "interrupted" })).toBe(live);
  });

  test("an unknown code shows the server's message, else a plain sentence", () => {
    expect(failureText({ code: "new_code", message: "Something new." })).toBe("Something new.");
    expect(failureText({ code: "new_code" })).toBe(genericFailure);
    expect(failureText(undefined)).toBe(genericFailure);
  });
});
