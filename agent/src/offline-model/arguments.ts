/**
 * Builds tool-call arguments that fit the JSON Schema the request offered. The offline model
 * knows what it wants to say ("goals = …") under a few likely names; the schema decides the
 * real property names and which of the rest must be present (strict schemas require every
 * property, with null for the optional ones).
 */

type Schema = Record<string, unknown>;

const isRecord = (value: unknown): value is Schema =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function types(schema: Schema): string[] {
  if (typeof schema.type === "string") return [schema.type];
  if (Array.isArray(schema.type)) return schema.type.map(String);
  const variants = [
    ...(Array.isArray(schema.anyOf) ? schema.anyOf : []),
    ...(Array.isArray(schema.oneOf) ? schema.oneOf : []),
  ];
  return variants.flatMap((variant) => (isRecord(variant) ? types(variant) : []));
}

const allowsNull = (schema: Schema) =>
  types(schema).includes("null") || (Array.isArray(schema.enum) && schema.enum.includes(null));

/** The first non-null variant of a nullable union, or the schema itself. */
function mainVariant(schema: Schema): Schema {
  const variants = [
    ...(Array.isArray(schema.anyOf) ? schema.anyOf : []),
    ...(Array.isArray(schema.oneOf) ? schema.oneOf : []),
  ].filter(isRecord);
  return variants.find((variant) => !types(variant).includes("null")) ?? schema;
}

const normalizeKey = (key: string) => key.toLowerCase().replace(/[^a-z0-9]/g, "");

/** Fit a wanted value to the property's schema (integers rounded, enums matched). */
function fit(value: unknown, schema: Schema): unknown {
  const main = mainVariant(schema);
  const kinds = types(main);
  if (typeof value === "number" && kinds.includes("integer")) return Math.round(value);
  if (typeof value === "number" && !kinds.includes("number") && kinds.includes("string"))
    return String(value);
  if (Array.isArray(main.enum) && !main.enum.includes(value)) {
    const match = main.enum.find((option) => String(option).toLowerCase() === String(value));
    return match ?? main.enum.find((option) => option !== null);
  }
  return value;
}

/** A harmless value of the right type for a required property we have nothing for. */
function placeholder(schema: Schema): unknown {
  if (schema.default !== undefined) return schema.default;
  if (allowsNull(schema)) return null;
  const main = mainVariant(schema);
  if (Array.isArray(main.enum)) return main.enum[0];
  const kind = types(main)[0];
  if (kind === "array") return [];
  if (kind === "object") return build(main, {});
  if (kind === "integer" || kind === "number")
    return typeof main.minimum === "number" ? main.minimum : 1;
  if (kind === "boolean") return false;
  return "";
}

/**
 * `wanted` maps candidate names (any casing: `durationMin`, `duration_min`) to values;
 * properties the schema does not have are dropped, so no extra keys are ever sent.
 */
export function build(schema: Schema, wanted: Record<string, unknown>): Record<string, unknown> {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  const byKey = new Map(Object.entries(wanted).map(([key, value]) => [normalizeKey(key), value]));
  const args: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) {
    const propertySchema = isRecord(property) ? property : {};
    const value = byKey.get(normalizeKey(name));
    if (value !== undefined) args[name] = fit(value, propertySchema);
    else if (required.has(name)) args[name] = placeholder(propertySchema);
  }
  return args;
}
