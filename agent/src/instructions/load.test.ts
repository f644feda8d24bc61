import { describe, expect, test } from "bun:test";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  composeInstructions,
  defaultInstructionsDir,
  loadInstructions,
  parseSkill,
} from "./load.ts";

describe("instructions", () => {
  test("the repo's system prompt and three skills load with their front matter", async () => {
    const instructions = await loadInstructions();
    expect(instructions.system).toContain(
      "never give a medical diagnosis".replace("never", "Never"),
    );
    expect(instructions.skills.map((skill) => skill.name)).toEqual([
      "log-workout",
      "onboarding",
      "weekly-review",
    ]);
    for (const skill of instructions.skills) expect(skill.when.length).toBeGreaterThan(10);
    expect(instructions.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test("composed with the synced table cards; the hash follows the files", async () => {
    const dir = await mkdtemp(join(tmpdir(), "trainer2-instructions-"));
    try {
      await cp(defaultInstructionsDir, dir, { recursive: true });
      const before = await loadInstructions(dir);
      const prompt = composeInstructions(
        before,
        {
          version: "v1",
          etag: '"v1"',
          fetchedAt: new Date(0).toISOString(),
          tools: [],
          tables: [{ name: "workouts", markdown: "# workouts\n\n| kind | text |" }],
        },
        new Date("2026-03-04T10:00:00Z"),
      );
      expect(prompt).toContain("Today is 2026-03-04.");
      expect(prompt).toContain("### Skill: onboarding");
      expect(prompt).toContain("# workouts");
      await writeFile(join(dir, "system.md"), `${before.system}\nBe brief.\n`);
      expect((await loadInstructions(dir)).hash).not.toBe(before.hash);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a skill without front matter is refused with its file name", () => {
    expect(() => parseSkill("broken.md", "just text")).toThrow(/broken\.md/);
    expect(() => parseSkill("half.md", "---\nname: x\n---\nbody")).toThrow(/when/);
  });
});
