/**
 * The capabilities version the api publishes now, for each /run: an agent with another one
 * syncs before it runs. The document depends on the tools and on the live table columns, so
 * it is rebuilt at most every `ttlMs` (a migration shows within that), not per turn.
 */
import type { Sql } from "@trainer2/db";
import type { Tool } from "../tools/define-tool.ts";
import { buildCapabilities, toolSpecs } from "./document.ts";

export function currentCapabilitiesVersion(deps: {
  sql: Sql;
  tools: () => Promise<Tool[]>;
  ttlMs?: number;
}): () => Promise<string> {
  const ttlMs = deps.ttlMs ?? 5000;
  let cached: { at: number; version: Promise<string> } | undefined;
  return () => {
    const now = performance.now();
    if (!cached || now - cached.at > ttlMs) {
      const version = deps.tools().then(async (tools) => {
        const { document } = await buildCapabilities(deps.sql, tools, toolSpecs(tools));
        return document.version;
      });
      cached = { at: now, version };
      // A failed build is not kept: the next run asks again.
      version.catch(() => {
        if (cached?.version === version) cached = undefined;
      });
    }
    return cached.version;
  };
}
