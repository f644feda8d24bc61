/**
 * Whether a published JSON Schema can be sent in OpenAI's strict mode exactly as it is. The
 * SDK would otherwise rewrite it to fit (optional properties become required-but-nullable,
 * open objects are closed) and the model would then send arguments the api's own schema
 * refuses, e.g. `null` for a property that may only be left out.
 */

type Schema = Record<string, unknown>;

const isRecord = (value: unknown): value is Schema =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Keywords strict mode does not support at all. */
const unsupported = ["oneOf", "allOf", "not", "if", "then", "else", "patternProperties"];

function isObjectSchema(schema: Schema): boolean {
  const type = schema.type;
  return (
    type === "object" ||
    (Array.isArray(type) && type.includes("object")) ||
    isRecord(schema.properties)
  );
}

function children(schema: Schema): unknown[] {
  const nested: unknown[] = [];
  if (isRecord(schema.properties)) nested.push(...Object.values(schema.properties));
  if (Array.isArray(schema.items)) nested.push(...schema.items);
  else if (schema.items !== undefined) nested.push(schema.items);
  if (Array.isArray(schema.prefixItems)) nested.push(...schema.prefixItems);
  if (Array.isArray(schema.anyOf)) nested.push(...schema.anyOf);
  for (const key of ["$defs", "definitions"])
    if (isRecord(schema[key])) nested.push(...Object.values(schema[key] as Schema));
  return nested;
}

export function isStrictReady(schema: unknown): boolean {
  if (!isRecord(schema)) return false;
  if (unsupported.some((keyword) => keyword in schema)) return false;
  if (isObjectSchema(schema)) {
    if (schema.additionalProperties !== false) return false;
    const names = Object.keys(isRecord(schema.properties) ? schema.properties : {});
    const required = new Set(Array.isArray(schema.required) ? schema.required : []);
    if (!names.every((name) => required.has(name))) return false;
  }
  return children(schema).every(isStrictReady);
}
