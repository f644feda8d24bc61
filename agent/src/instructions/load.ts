/**
 * The agent's own content: `instructions/system.md` and `instructions/skills/*.md` (each with
 * a small front matter: name, when). Loaded once; the hash of the exact files is reported by
 * /health so a deployment can be matched to the prompts it runs.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { Surface } from "../capabilities/surface.ts";

export const defaultInstructionsDir = join(import.meta.dir, "../../instructions");

export type Skill = { name: string; when: string; body: string };
export type Instructions = { system: string; skills: Skill[]; hash: string };

const frontMatterSchema = z.object({
  name: z.string({ message: "is missing" }).min(1, "is empty"),
  when: z.string({ message: "is missing" }).min(1, "is empty"),
});

/** Parses `---\nkey: value\n---\nbody`; values are single lines. */
export function parseSkill(file: string, text: string): Skill {
  const match = text.match(/^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/);
  if (!match) throw new Error(`${file}: missing front matter (--- name / when ---)`);
  const fields: Record<string, string> = {};
  for (const line of match[1]!.split(/\r?\n/)) {
    const pair = line.match(/^([A-Za-z_]+):\s*(.*)$/);
    if (pair) fields[pair[1]!] = pair[2]!.trim();
  }
  const parsed = frontMatterSchema.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: front matter field "${issue?.path.join(".")}" ${issue?.message}`);
  }
  return { ...parsed.data, body: match[2]!.trim() };
}

export async function loadInstructions(dir = defaultInstructionsDir): Promise<Instructions> {
  const hasher = new Bun.CryptoHasher("sha256");
  const system = await readFile(join(dir, "system.md"), "utf8");
  hasher.update(`system.md\0${system}\0`);
  const files = (await readdir(join(dir, "skills"))).filter((file) => file.endsWith(".md")).sort();
  const skills: Skill[] = [];
  for (const file of files) {
    const text = await readFile(join(dir, "skills", file), "utf8");
    hasher.update(`skills/${file}\0${text}\0`);
    skills.push(parseSkill(file, text));
  }
  return { system: system.trim(), skills, hash: hasher.digest("hex") };
}

/** The prompt for one run: the trainer, its skills, the data it can reach, and today. */
export function composeInstructions(
  instructions: Instructions,
  surface: Surface | undefined,
  today: Date,
): string {
  const skills = instructions.skills.map(
    (skill) => `### Skill: ${skill.name}\nUse when: ${skill.when}\n\n${skill.body}`,
  );
  const tables = (surface?.tables ?? []).map((table) => table.markdown.trim());
  return [
    instructions.system,
    `Today is ${today.toISOString().slice(0, 10)}.`,
    "## Skills",
    ...skills,
    ...(tables.length > 0
      ? ["## The person's data (reach it only through your tools)", ...tables]
      : []),
  ].join("\n\n");
}
