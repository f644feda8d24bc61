/**
 * The capabilities document: tools (name, description, JSON Schema parameters) and table
 * cards, with `version` = sha256 of the canonical JSON of everything else. It depends only
 * on the tool modules and the live schema, so it is the same across restarts and instances
 * and changes exactly when a tool's schema or a table's columns change.
 */
import type { Sql } from "@trainer2/db";
import type { Capabilities, ToolSpec } from "@trainer2/shared/wire";
import { approvalMode, type Tool } from "../tools/define-tool.ts";
import { canonicalJson, sha256Hex } from "./canonical-json.ts";
import { toStrictJsonSchema } from "./json-schema.ts";
import { readTableCards } from "./table-cards.ts";

export function toolSpecs(tools: Tool[]): ToolSpec[] {
  return tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    parameters: toStrictJsonSchema(tool.name, tool.input),
    activity: tool.activity,
    approval: approvalMode(tool),
  }));
}

export type CapabilitiesDocument = {
  document: Capabilities;
  /** Canonical JSON of `document`: the exact bytes served and signed. */
  body: string;
};

export async function buildCapabilities(
  sql: Sql,
  tools: Tool[],
  specs: ToolSpec[] = toolSpecs(tools),
): Promise<CapabilitiesDocument> {
  const tables = await readTableCards(sql, tools);
  const version = sha256Hex(canonicalJson({ tools: specs, tables }));
  const document: Capabilities = { version, tools: specs, tables };
  return { document, body: canonicalJson(document) };
}
