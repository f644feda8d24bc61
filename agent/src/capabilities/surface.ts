/**
 * The synced surface on disk under `generated/`: one JSON file per tool, one Markdown card per
 * table and a manifest. Every file is written aside and renamed into place, so a reader (or
 * a crash) never sees half a file; the manifest goes last and names what is complete.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Capabilities,
  type TableCard,
  type ToolSpec,
  toolSpecDto,
} from "@trainer2/shared/wire";
import { z } from "zod";

export type Surface = {
  version: string;
  etag: string;
  fetchedAt: string;
  /** When the api signed it (seconds); absent in files written before signatures had it. */
  signedAt?: number;
  tools: ToolSpec[];
  /** Rendered table cards, as they are written to disk and given to the model. */
  tables: { name: string; markdown: string }[];
};

const manifestSchema = z.object({
  version: z.string(),
  etag: z.string(),
  fetchedAt: z.string(),
  signedAt: z.number().optional(),
  tools: z.array(z.string()),
  tables: z.array(z.string()),
});

export function renderTableCard(table: TableCard): string {
  const rows = table.columns.map(
    (column) =>
      `| ${column.name} | ${column.type} | ${column.nullable ? "yes" : "no"} | ${column.description.replace(/\|/g, "\\|").replace(/\n/g, " ")} |`,
  );
  return [
    `# ${table.name}`,
    "",
    table.description,
    "",
    "| column | type | nullable | description |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}

export function surfaceOf(
  capabilities: Capabilities,
  etag: string,
  fetchedAt: Date,
  signedAt?: number,
): Surface {
  return {
    version: capabilities.version,
    etag,
    fetchedAt: fetchedAt.toISOString(),
    ...(signedAt !== undefined ? { signedAt } : {}),
    tools: capabilities.tools,
    tables: capabilities.tables.map((table) => ({
      name: table.name,
      markdown: renderTableCard(table),
    })),
  };
}

async function writeAtomically(path: string, content: string) {
  const aside = `${path}.tmp-${process.pid}-${crypto.randomUUID()}`;
  try {
    await writeFile(aside, content);
    await rename(aside, path);
  } catch (error) {
    await rm(aside, { force: true });
    throw error;
  }
}

/** A file written aside by `writeAtomically` that a crash left behind before its rename. */
const leftover = (file: string) => file.includes(".tmp-");

/** Removes files in `folder` with `extension` whose names are not in `keep`, and leftovers. */
async function removeStale(folder: string, extension: string, keep: Set<string>) {
  for (const file of await readdir(folder)) {
    const stale = file.endsWith(extension) && !keep.has(file.slice(0, -extension.length));
    if (stale || leftover(file)) await rm(join(folder, file), { force: true });
  }
}

export async function writeSurface(dir: string, surface: Surface): Promise<void> {
  const toolsDir = join(dir, "tools");
  const tablesDir = join(dir, "tables");
  await mkdir(toolsDir, { recursive: true });
  await mkdir(tablesDir, { recursive: true });
  for (const tool of surface.tools)
    await writeAtomically(
      join(toolsDir, `${tool.name}.json`),
      `${JSON.stringify(tool, null, 2)}\n`,
    );
  for (const table of surface.tables)
    await writeAtomically(join(tablesDir, `${table.name}.md`), table.markdown);
  const manifest: z.infer<typeof manifestSchema> = {
    version: surface.version,
    etag: surface.etag,
    fetchedAt: surface.fetchedAt,
    ...(surface.signedAt !== undefined ? { signedAt: surface.signedAt } : {}),
    tools: surface.tools.map((tool) => tool.name),
    tables: surface.tables.map((table) => table.name),
  };
  await writeAtomically(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  await removeStale(toolsDir, ".json", new Set(manifest.tools));
  await removeStale(tablesDir, ".md", new Set(manifest.tables));
  await removeStale(dir, ".json", new Set(["manifest"]));
}

/** The last good surface on disk, or undefined when there is none or it is damaged. */
export async function readSurface(dir: string): Promise<Surface | undefined> {
  try {
    const manifest = manifestSchema.parse(
      JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")),
    );
    const tools: ToolSpec[] = [];
    for (const name of manifest.tools) {
      const text = await readFile(join(dir, "tools", `${name}.json`), "utf8");
      tools.push(toolSpecDto.parse(JSON.parse(text)));
    }
    const tables: Surface["tables"] = [];
    for (const name of manifest.tables)
      tables.push({ name, markdown: await readFile(join(dir, "tables", `${name}.md`), "utf8") });
    return { ...manifest, tools, tables };
  } catch {
    return undefined;
  }
}
