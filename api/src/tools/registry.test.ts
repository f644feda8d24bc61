import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { discoverTools, loadTools } from "./registry.ts";

const fixtures = join(import.meta.dir, "../testing/testdata");

describe("tool discovery", () => {
  test("the api's tools are every *.tool.ts in this folder, sorted by name", async () => {
    const tools = await loadTools();
    expect(tools.map((t) => t.name)).toEqual([
      "delete_workout",
      "get_profile",
      "get_training_summary",
      "list_workouts",
      "log_workout",
      "update_profile",
    ]);
    for (const tool of tools) expect(tool.description.length).toBeGreaterThan(40);
  });

  test("adding a file adds a tool; other files are ignored", async () => {
    const tools = await discoverTools(join(fixtures, "extra"));
    expect(tools.map((t) => t.name)).toEqual(["another", "echo"]);
  });

  test("a malformed tool module fails loudly, naming the file and the field", async () => {
    await expect(discoverTools(join(fixtures, "broken"))).rejects.toThrow(
      /bad-name\.tool\.ts.*name/,
    );
  });

  test("two tools with one name are refused", async () => {
    await expect(discoverTools(join(fixtures, "twins"))).rejects.toThrow(/"echo" is defined twice/);
  });
});
