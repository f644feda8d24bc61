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

describe("a message a budget refused", () => {
  const now = Date.parse("2026-12-01T21:30:00Z");
  const at = (iso: string) =>
    new Date(iso).toLocaleString(undefined, { hour: "2-digit", minute: "2-digit" });

  test("names the daily limit and when it resets, in the person's own time", () => {
    const resetsAt = "2026-12-02T00:00:00Z";
    const text = failureText({ code: "budget_exceeded", limit: "daily_tokens", resetsAt }, now);
    expect(text).toStartWith("Not sent: today's token budget is used up. It resets at ");
    expect(text).toContain(at(resetsAt));
    expect(text).toEndWith("(in 2 h 30 min).");
  });

  test("turns per minute: to the second; runs at once: when the other answer ends", () => {
    const resetsAt = new Date(now + 40_000).toISOString();
    const text = failureText({ code: "budget_exceeded", limit: "turns_per_minute", resetsAt }, now);
    expect(text).toContain("most messages allowed in a minute");
    expect(text).toContain(
      new Date(resetsAt).toLocaleString(undefined, {
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      }),
    );
    expect(text).toEndWith("(in 40 s).");
    expect(failureText({ code: "budget_exceeded", limit: "concurrent_runs" }, now)).toContain(
      "another answer is still being written",
    );
  });

  test("without details (a client older than the api): the api's own sentence", () => {
    const message = "You have reached your usage limit for now.";
    expect(failureText({ code: "budget_exceeded", message })).toBe(message);
    expect(failureText({ code: "budget_exceeded" })).toBe(message);
  });
});
