/**
 * Tool discovery: every `*.tool.ts` file in a folder, default-exporting a `Tool`
 * (see define-tool.ts), sorted by name. No list to keep in sync by hand.
 */
import { join } from "node:path";
import { toolActivityDto, toolSpecDto } from "@trainer2/shared/wire";
import { z } from "zod";
import type { Tool } from "./define-tool.ts";

const toolShape = z.object({
  name: toolSpecDto.shape.name,
  description: z.string().min(1),
  activity: toolActivityDto,
  input: z.custom<z.ZodObject>((value) => value instanceof z.ZodObject, "must be a zod object"),
  mutates: z.boolean(),
  handler: z.custom<Tool["handler"]>((value) => typeof value === "function"),
  approval: z
    .object({
      needed: z.union([z.literal("always"), z.custom((value) => typeof value === "function")]),
      summary: z.custom((value) => typeof value === "function"),
    })
    .optional(),
});

/** Imports every `*.tool.ts` in `dir`; a malformed module or a duplicate name fails loudly. */
export async function discoverTools(dir: string): Promise<Tool[]> {
  const files = [...new Bun.Glob("*.tool.ts").scanSync({ cwd: dir })].sort();
  const tools: Tool[] = [];
  for (const file of files) {
    const module = (await import(join(dir, file))) as { default?: unknown };
    const checked = toolShape.safeParse(module.default);
    if (!checked.success) {
      const detail = checked.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
      throw new Error(`${file} must default-export defineTool({...}): ${detail.join("; ")}`);
    }
    const tool = module.default as Tool;
    const twin = tools.find((other) => other.name === tool.name);
    if (twin) throw new Error(`tool name "${tool.name}" is defined twice (${file})`);
    tools.push(tool);
  }
  return tools.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

let builtIn: Promise<Tool[]> | undefined;

/** The api's own tools (this folder), loaded once. */
export function loadTools(): Promise<Tool[]> {
  builtIn ??= discoverTools(import.meta.dir);
  return builtIn;
}
