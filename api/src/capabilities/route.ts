/**
 * GET /capabilities for the agent.
 *
 * Signing choice: the body is the plain canonical JSON document (what `capabilitiesDto`
 * parses), and `x-capabilities-signature` carries a detached compact JWS (RFC 7515
 * appendix F, the api's own key and its algorithm) over the exact body bytes. A header rather than an
 * envelope keeps the document readable as it is and lets a 304 carry no body; the
 * signature covers `version` because `version` is inside the body. The agent verifies it
 * with API_PUBLIC_KEY (`verifyDetached`) before writing anything.
 *
 * The signature's protected header also names the version (`ver`) and when it was signed
 * (`iat`, seconds): a signed document stays valid forever, so without a time an old one
 * (tools since removed or changed) could be served again to an agent, which would take it.
 * The agent refuses a document signed before the one it has (agent/src/capabilities/).
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

  return async (c: Context) => {
    await requireAgent(c.req.header("authorization"), deps.agentPublicKey);
    const tools = await deps.tools();
    specs ??= Promise.resolve().then(() => toolSpecs(tools));
    const { document, body } = await buildCapabilities(deps.sql, tools, await specs);
    const etag = `"${document.version}"`;
    c.header("ETag", etag);
    c.header("Cache-Control", "no-cache");
    if (matchesEtag(c.req.header("if-none-match"), etag)) return c.body(null, 304);
    // Signed on every answer (one Ed25519 signature; agents ask rarely: at start, on an
    // interval, and when a /run names a version they lack), so its time is when it was
    // served: a live api serving an older document again (a rollback) is newer than the
    // document it replaces, and only a copy captured earlier is older.
    const signed = {
      signature: await signDetached(body, deps.apiPrivateKey, {
        ver: document.version,
        iat: Math.floor(Date.now() / 1000),
      }),
    };
    c.header(headers.capabilitiesSignature, signed.signature);
    c.header("Content-Type", "application/json; charset=utf-8");
    return c.body(body, 200);
  };
}
