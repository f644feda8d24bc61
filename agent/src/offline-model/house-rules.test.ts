import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { defaultInstructionsDir } from "../instructions/load.ts";
import { decide, offlineNotice } from "./brain.ts";
import type { OfferedTool, Turn } from "./conversation.ts";
import { houseRules, medicalReferral } from "./house-rules.ts";

const prompt = readFileSync(join(defaultInstructionsDir, "system.md"), "utf8");
const user = (text: string): Turn => ({ kind: "user", text });
const assistant = (text: string): Turn => ({ kind: "assistant", text });
const deleteWorkout: OfferedTool = {
  name: "delete_workout",
  parameters: { type: "object", properties: { workoutId: { type: "string" } } },
};

describe("the prompt's rules, followed while the prompt states them", () => {
  test("the trainer's own prompt states both rules", () => {
    expect(houseRules(prompt)).toEqual({ referMedical: true, confirmDeletes: true });
    expect(houseRules("Be nice.")).toEqual({ referMedical: false, confirmDeletes: false });
  });

  test("a health question is referred to a doctor only while the prompt says so", () => {
    const turns = [user("My knee hurts when I run. Should I take ibuprofen?")];
    expect(decide({ turns, tools: [], instructions: prompt })).toEqual({
      type: "text",
      text: medicalReferral,
    });
    expect(decide({ turns, tools: [], instructions: "Be nice." })).toEqual({
      type: "text",
      text: offlineNotice,
    });
  });

  test("a plain request with a health word in it is still done (the request comes first)", () => {
    const logWorkout: OfferedTool = {
      name: "log_workout",
      parameters: { type: "object", properties: { kind: { type: "string" } } },
    };
    const turns = [user("Log a 20 minute walk, my back hurts a little")];
    expect(decide({ turns, tools: [logWorkout], instructions: prompt })).toMatchObject({
      type: "tool_call",
      name: "log_workout",
    });
  });

  test("a delete request is asked about first; the yes deletes nothing without a tool", () => {
    const ask = decide({
      turns: [user("Delete my run from yesterday.")],
      tools: [],
      instructions: prompt,
    });
    expect(ask).toEqual({
      type: "text",
      text: "Before I delete anything: do you want me to remove your run from yesterday for good? Please reply yes to confirm.",
    });
    const turns = [
      user("Delete my run from yesterday."),
      assistant((ask as { text: string }).text),
      user("yes"),
    ];
    expect(decide({ turns, tools: [], instructions: prompt })).toEqual({
      type: "text",
      text: "I can't delete entries yet: I have no tool for that here, so nothing was removed.",
    });
    // With a delete tool offered the question still comes first.
    expect(
      decide({
        turns: [user("remove that workout")],
        tools: [deleteWorkout],
        instructions: prompt,
      }),
    ).toMatchObject({ type: "text" });
  });

  test("without the rule a delete request is acted on at once", () => {
    const turns = [user("Delete my run from yesterday.")];
    expect(decide({ turns, tools: [deleteWorkout], instructions: "Be nice." })).toEqual({
      type: "tool_call",
      name: "delete_workout",
      arguments: {},
    });
    expect(decide({ turns, tools: [], instructions: "Be nice." })).toEqual({
      type: "text",
      text: "I would use the delete_workout tool for that, but it is not available right now.",
    });
  });
});
