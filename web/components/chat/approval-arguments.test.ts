import { describe, expect, test } from "bun:test";
import { argumentLines, labelOf, valueText } from "./approval-arguments";

describe("a tool call's arguments on an approval card", () => {
  test("names read as words, whatever case the tool used", () => {
    expect(labelOf("workoutId")).toBe("Workout id");
    expect(labelOf("duration_min")).toBe("Duration min");
    expect(labelOf("goals")).toBe("Goals");
  });

  test("values read as text, and what the call leaves unset is not shown", () => {
    expect(
      argumentLines({
        goals: "Run a 10k",
        limitations: null,
        experienceLevel: undefined,
        daysPerWeek: 4,
        outdoors: true,
        equipment: ["bike", "kettlebell"],
      }),
    ).toEqual([
      { label: "Goals", value: "Run a 10k" },
      { label: "Days per week", value: "4" },
      { label: "Outdoors", value: "yes" },
      { label: "Equipment", value: "bike, kettlebell" },
    ]);
  });

  test("nested objects, empty values and big numbers stay readable (never JSON)", () => {
    expect(valueText({ kind: "run", distanceKm: 10.5, note: null })).toBe(
      "Kind: run; Distance km: 10.5",
    );
    expect(valueText("")).toBe("(empty)");
    expect(valueText([])).toBe("(none)");
    expect(valueText(12000)).toBe("12,000");
    expect(argumentLines({})).toEqual([]);
  });
});
