import { describe, expect, test } from "bun:test";
import { toolText } from "./tool-line";

describe("toolText", () => {
  test("a line reads as the sentence its tool's definition gave it", () => {
    expect(
      toolText({ name: "update_profile", status: "started", summary: "Updating your profile…" }),
    ).toBe("Updating your profile…");
    expect(
      toolText({ name: "update_profile", status: "ok", summary: "Updated your profile" }),
    ).toBe("Updated your profile");
    // A tool the web has never heard of reads just as well: no table here to keep in step.
    expect(toolText({ name: "plan_week", status: "ok", summary: "Planned 3 runs" })).toBe(
      "Planned 3 runs",
    );
  });

  test("failures show the tool's message; a line without a sentence reads from the name", () => {
    expect(
      toolText({ name: "log_workout", status: "error", summary: "Date is in the future" }),
    ).toBe("Date is in the future");
    expect(toolText({ name: "log_workout", status: "error" })).toBe("log workout failed");
    expect(toolText({ name: "plan_week", status: "ok" })).toBe("Used plan week");
    expect(toolText({ name: "plan_week", status: "started" })).toBe("Using plan week…");
  });
});
