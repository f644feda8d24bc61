/** Live column metadata (information_schema), so table cards follow the migrations. */
import type { Queryable } from "./users.ts";

export type TableColumn = {
  table: string;
  name: string;
  /** Postgres type as a person writes it: `text`, `uuid`, `text[]`, `timestamp with time zone`. */
  type: string;
  nullable: boolean;
};

/** Columns of the given tables in the current schema, by table then by position. */
export async function readTableColumns(sql: Queryable, tables: string[]): Promise<TableColumn[]> {
  if (tables.length === 0) return [];
  return sql<TableColumn[]>`
    select
      table_name::text as "table",
      column_name::text as name,
      case
        when data_type = 'ARRAY' then substr(udt_name::text, 2) || '[]'
        when data_type = 'USER-DEFINED' then udt_name::text
        else data_type::text
      end as type,
      is_nullable = 'YES' as nullable
    from information_schema.columns
    where table_schema = current_schema() and table_name = any(${tables}::text[])
    order by table_name, ordinal_position`;
}
