/**
 * The JSON Schema a tool publishes, made from its zod input with `z.toJSONSchema` and
 * narrowed to what OpenAI's strict function calling accepts: every object closed
 * (`additionalProperties: false`) with every property required, and only the keywords
 * strict mode supports. Length limits and refinements are not lost: the api still parses
 * every call with the full zod schema; descriptions say the limits to the model.
 */
import { z } from "zod";

/** Keywords strict mode understands; anything else (minLength, $schema, …) is dropped. */
const keptKeywords = new Set([
  "type",
  "description",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "anyOf",
  "enum",
  "const",
  "pattern",
  "format",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minItems",
  "maxItems",
  "$defs",
  "$ref",
]);

/** Keywords whose value is a map of names to schemas, or a schema, or a list of schemas. */
const schemaMaps = new Set(["properties", "$defs"]);
const schemaValues = new Set(["items", "additionalProperties"]);
const schemaLists = new Set(["anyOf"]);

export class StrictSchemaError extends Error {
  constructor(toolName: string, path: string, problem: string) {
    super(`tool ${toolName}: ${path || "(root)"} ${problem}`);
    this.name = "StrictSchemaError";
  }
}

type Json = Record<string, unknown>;

function narrow(node: unknown, toolName: string, path: string): unknown {
  if (typeof node !== "object" || node === null || Array.isArray(node)) return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (!keptKeywords.has(key)) continue;
    if (schemaMaps.has(key)) {
      out[key] = Object.fromEntries(
        Object.entries(value as Json).map(([name, child]) => [
          name,
          narrow(child, toolName, `${path}/${key}/${name}`),
        ]),
      );
    } else if (schemaValues.has(key) && typeof value === "object") {
      out[key] = narrow(value, toolName, `${path}/${key}`);
    } else if (schemaLists.has(key)) {
      out[key] = (value as unknown[]).map((child, i) =>
        narrow(child, toolName, `${path}/${key}/${i}`),
      );
    } else {
      out[key] = value;
    }
  }
  if (out.type === "object") {
    const properties = (out.properties ?? {}) as Json;
    const required = new Set((out.required as string[] | undefined) ?? []);
    const optional = Object.keys(properties).filter((name) => !required.has(name));
    if (optional.length > 0) {
      throw new StrictSchemaError(
        toolName,
        path,
        `has optional properties (${optional.join(", ")}): use .nullable() instead of .optional()`,
      );
    }
    if (out.additionalProperties !== false) {
      throw new StrictSchemaError(toolName, path, "must be a closed object: use z.strictObject");
    }
    out.properties = properties;
    // Sorted like the canonical JSON sorts `properties`, so the SDK's strict pass
    // (required = the property names in order) leaves the published schema as it is.
    out.required = Object.keys(properties).sort();
  }
  return out;
}

/** The published parameters of a tool; throws when the zod input cannot be strict. */
export function toStrictJsonSchema(toolName: string, input: z.ZodObject): Json {
  const raw = z.toJSONSchema(input, { io: "input", unrepresentable: "throw" });
  return narrow(raw, toolName, "") as Json;
}
