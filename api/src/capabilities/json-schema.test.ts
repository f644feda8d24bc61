import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { canonicalJson } from "./canonical-json.ts";
import { StrictSchemaError, toStrictJsonSchema } from "./json-schema.ts";

describe("strict-friendly JSON Schema", () => {
  test("keeps what strict mode understands and drops the rest", () => {
    const schema = toStrictJsonSchema(
      "t",
      z.strictObject({
        name: z.string().min(1).max(10).describe("A name."),
        age: z.number().int().min(0).max(130).nullable(),
        tags: z.array(z.string()).max(3),
      }),
    );
    expect(schema).toEqual({
      type: "object",
      additionalProperties: false,
      required: ["age", "name", "tags"],
      properties: {
        name: { type: "string", description: "A name." },
        age: { anyOf: [{ type: "integer", minimum: 0, maximum: 130 }, { type: "null" }] },
        tags: { type: "array", maxItems: 3, items: { type: "string" } },
      },
    });
  });

  test("refuses optional fields and open objects, naming the tool and the place", () => {
    expect(() => toStrictJsonSchema("t", z.strictObject({ a: z.string().optional() }))).toThrow(
      new StrictSchemaError(
        "t",
        "",
        "has optional properties (a): use .nullable() instead of .optional()",
      ),
    );
    expect(() =>
      toStrictJsonSchema("t", z.strictObject({ inner: z.object({ b: z.string() }) })),
    ).toThrow(/tool t: \/properties\/inner must be a closed object/);
  });

  test("the same schema always gives the same canonical bytes", () => {
    const make = () => z.strictObject({ b: z.string(), a: z.number().nullable() });
    expect(canonicalJson(toStrictJsonSchema("t", make()))).toBe(
      canonicalJson(toStrictJsonSchema("t", make())),
    );
  });
});
