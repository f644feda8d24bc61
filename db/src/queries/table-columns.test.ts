import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "../testing/index.ts";
import { readTableColumns } from "./table-columns.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

describe("table columns", () => {
  test("reads types and nullability from the live schema, in column order", async () => {
    const columns = await readTableColumns(db.sql, ["profiles"]);
    expect(columns.map((c) => c.name)).toEqual([
      "user_id",
      "display_name",
      "goals",
      "experience_level",
      "equipment",
      "limitations",
      "units",
      "updated_at",
    ]);
    expect(columns.find((c) => c.name === "equipment")).toEqual({
      table: "profiles",
      name: "equipment",
      type: "text[]",
      nullable: false,
    });
    expect(columns.find((c) => c.name === "goals")?.nullable).toBe(true);
  });

  test("a column added later shows up; unknown tables give nothing", async () => {
    await db.sql`alter table workouts add column rpe integer`;
    const columns = await readTableColumns(db.sql, ["workouts", "no_such_table"]);
    expect(columns.at(-1)).toEqual({
      table: "workouts",
      name: "rpe",
      type: "integer",
      nullable: true,
    });
    expect(columns.every((c) => c.table === "workouts")).toBe(true);
  });
});
