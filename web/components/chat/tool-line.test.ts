import { describe, expect, test } from "bun:test";
import { toolText } from "./tool-line";

describe("toolText", () => {
  test("known tools read as plain phrases", () => {
    expect(toolText({ name: "update_profile", status: "started" })).toBe("Updating your profile…");
    expect(toolText({ name: "update_profile", status: "ok", summary: "update_profile done" })).toBe(
      "Updated your profile",
    );
  });

  test("failures show the tool's message; unknown tools fall back to the summary", () => {
    expect(
      toolText({ name: "log_workout", status: "error", summary: "Date is in the future" }),
    ).toBe("Date is in the future");
    expect(toolText({ name: "log_workout", status: "error" })).toBe("Could not log your workout");
    expect(toolText({ name: "plan_week", status: "ok", summary: "Planned 3 runs" })).toBe(
      "Planned 3 runs",
    );
    expect(toolText({ name: "plan_week", status: "started" })).toBe("Using plan week…");
  });
});
