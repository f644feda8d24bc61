/**
 * Table cards: for each table a tool declares, its purpose and its columns with type and
 * nullability read from the live schema, and meanings from the tools' modules. A column a
 * migration adds appears at once, with a generic meaning until a tool describes it.
 */
import type { Sql } from "@trainer2/db";
import { readTableColumns } from "@trainer2/db/queries/table-columns";
import type { TableCard } from "@trainer2/shared/wire";
import type { TableMeaning, Tool } from "../tools/define-tool.ts";

export const undescribedColumn = "Not described yet.";

/** Several tools may describe one table: the first description wins, meanings are merged. */
export function mergeMeanings(tools: Tool[]): TableMeaning[] {
  const byName = new Map<string, TableMeaning>();
  for (const meaning of tools.flatMap((tool) => tool.tables ?? [])) {
    const known = byName.get(meaning.name);
    byName.set(
      meaning.name,
      known
        ? {
            name: known.name,
            description: known.description || meaning.description,
            columns: { ...meaning.columns, ...known.columns },
          }
        : meaning,
    );
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

export async function readTableCards(sql: Sql, tools: Tool[]): Promise<TableCard[]> {
  const meanings = mergeMeanings(tools);
  const columns = await readTableColumns(
    sql,
    meanings.map((table) => table.name),
  );
  return meanings.map((table) => ({
    name: table.name,
    description: table.description,
    columns: columns
      .filter((column) => column.table === table.name)
      .map((column) => ({
        name: column.name,
        type: column.type,
        nullable: column.nullable,
        description: table.columns[column.name] ?? undescribedColumn,
      })),
  }));
}
