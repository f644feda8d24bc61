import { afterEach, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSurface, type Surface, writeSurface } from "./surface.ts";

const surface = (version: string, tools: string[]): Surface => ({
  version,
  etag: `"${version}"`,
  fetchedAt: new Date(0).toISOString(),
  tools: tools.map((name) => ({
    name,
    description: name,
    parameters: { type: "object" },
    activity: { running: `${name}…`, done: `${name} done`, failed: `${name} failed` },
  })),
  tables: [{ name: "workouts", markdown: "# workouts\n" }],
});

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the surface on disk", () => {
  test("written and read back; files of tools that went away are removed", async () => {
    dir = await mkdtemp(join(tmpdir(), "trainer2-surface-"));
    await writeSurface(dir, surface("v1", ["a_tool", "b_tool"]));
    await writeSurface(dir, surface("v2", ["b_tool"]));
    expect(await readdir(join(dir, "tools"))).toEqual(["b_tool.json"]);
    expect(await readSurface(dir)).toEqual(surface("v2", ["b_tool"]));
  });

  test("files a crash left half-written aside are cleaned up by the next write", async () => {
    dir = await mkdtemp(join(tmpdir(), "trainer2-surface-"));
    await mkdir(join(dir, "tools"), { recursive: true });
    await mkdir(join(dir, "tables"), { recursive: true });
    await writeFile(join(dir, "tools", "b_tool.json.tmp-123-abc"), "{ half");
    await writeFile(join(dir, "tables", "workouts.md.tmp-123-abc"), "# half");
    await writeFile(join(dir, "manifest.json.tmp-123-abc"), "{ half");
    await writeFile(join(dir, ".gitkeep"), "");
    await writeSurface(dir, surface("v1", ["b_tool"]));
    expect((await readdir(dir)).sort()).toEqual([".gitkeep", "manifest.json", "tables", "tools"]);
    expect(await readdir(join(dir, "tools"))).toEqual(["b_tool.json"]);
    expect(await readdir(join(dir, "tables"))).toEqual(["workouts.md"]);
  });
});
