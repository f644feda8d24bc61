/**
 * GET /capabilities for the agent.
 *
 * Signing choice: the body is the plain canonical JSON document (what `capabilitiesDto`
 * parses), and `x-capabilities-signature` carries a detached compact JWS (RFC 7515
 * appendix F, the api's own key and its algorithm) over the exact body bytes. A header rather than an
 * envelope keeps the document readable as it is and lets a 304 carry no body; the
 * signature covers `version` because `version` is inside the body. The agent verifies it
 * with API_PUBLIC_KEY (`verifyDetached`) before writing anything.
 */

import type { Sql } from "@trainer2/db";
import { type KeyLike, signDetached } from "@trainer2/shared/tokens";
import { headers, type ToolSpec } from "@trainer2/shared/wire";
import type { Context } from "hono";
import type { Tool } from "../tools/define-tool.ts";
import { requireAgent } from "./agent-auth.ts";
import { buildCapabilities, toolSpecs } from "./document.ts";

export type CapabilitiesRouteDeps = {
  sql: Sql;
  tools: () => Promise<Tool[]>;
  apiPrivateKey: KeyLike;
  agentPublicKey: KeyLike;
};

/** True when an If-None-Match header names this ETag (weak or strong) or is `*`. */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""))
    .some((tag) => tag === "*" || tag === etag);
}

export function capabilitiesHandler(deps: CapabilitiesRouteDeps) {
  // Tool schemas only change with the code, so they are computed once per process;
  // columns are read per request so a migration shows up without a restart.
  let specs: Promise<ToolSpec[]> | undefined;
  let lastSigned: { body: string; signature: string } | undefined;

  return async (c: Context) => {
    await requireAgent(c.req.header("authorization"), deps.agentPublicKey);
    const tools = await deps.tools();
    specs ??= Promise.resolve().then(() => toolSpecs(tools));
    const { document, body } = await buildCapabilities(deps.sql, tools, await specs);
    const etag = `"${document.version}"`;
    c.header("ETag", etag);
    c.header("Cache-Control", "no-cache");
    if (matchesEtag(c.req.header("if-none-match"), etag)) return c.body(null, 304);
    // Signing is the costly part; the body only changes with a tool or a column.
    const signed =
      lastSigned?.body === body
        ? lastSigned
        : { body, signature: await signDetached(body, deps.apiPrivateKey) };
    lastSigned = signed;
    c.header(headers.capabilitiesSignature, signed.signature);
    c.header("Content-Type", "application/json; charset=utf-8");
    return c.body(body, 200);
  };
}
