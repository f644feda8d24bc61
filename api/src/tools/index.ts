/**
 * Mount point for the tool implementations and the signed /capabilities surface
 * (GET /capabilities, POST /tools/:name). Owned by the tools feature; app.ts mounts it.
 */
import type { KeyLike } from "@trainer2/shared/tokens";
import type { Sql } from "@trainer2/db";
import { Hono } from "hono";

export type ToolsDeps = {
  sql: Sql;
  keys: {
    /** Signs the capabilities document. */
    apiPrivateKey: KeyLike;
    /** Verifies run tokens the api issued. */
    apiPublicKey: KeyLike;
    /** Verifies the agent's JWTs. */
    agentPublicKey: KeyLike;
  };
  /** Called after a tool changed a user's data, so their open sockets get a `state` event. */
  onStateChanged: (userId: string, sessionId: string) => void;
};

export function capabilitiesAndTools(_deps: ToolsDeps): Hono {
  // Filled in by the tools/capabilities work (issue 4).
  return new Hono();
}
