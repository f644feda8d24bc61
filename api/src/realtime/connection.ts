/**
 * One /realtime socket: authentication (query token checked before the upgrade, or a first
 * `auth` frame), token expiry, protocol pings, rate limiting, and frame dispatch. Frames are
 * handled one after another so a frame sent right after connecting waits for `ready`.
 * Limits beyond the frame: sockets per person and unauthenticated sockets per address
 * (socket-limits.ts), and a send buffer that may not grow past `sendBufferLimitBytes`.
 */
import { mostRecentSession } from "@trainer2/db/queries/sessions";
import { type AppError, toAppError } from "@trainer2/shared/errors";
import { closeCodeOf, closeCodes, type FailureCode, failures } from "@trainer2/shared/failures";
import { nulPath, nulRefusal } from "@trainer2/shared/nul";
import { type ClientFrame, clientFrame, type ServerEvent } from "@trainer2/shared/wire";
import type { ServerWebSocket } from "bun";
import type { WSEvents } from "hono/ws";
import type { z } from "zod";
import { type Authenticated, toUserDto } from "../auth/authenticate.ts";
import { decideFrame } from "./approvals.ts";
import { cancelRun, startTurn } from "./chat-turn.ts";
import type { RealtimeContext } from "./context.ts";
import type { Client } from "./hub.ts";
import { tokenBucket } from "./rate-limit.ts";
import { regenerateAnswer } from "./regenerate.ts";
import { resumeFrame } from "./resume.ts";

/** The outcome of checking `?token=` before the upgrade; null when none was given. */
export type PreAuth = { ok: Authenticated } | { error: AppError } | null;

const maxTimer = 2 ** 31 - 1;
/** Close reasons are limited to 123 bytes and must not carry anything secret. */
const reason = (text: string) => text.slice(0, 120);

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) =>
      issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message,
    )
    .join("; ");
}

type Raw = ServerWebSocket<unknown>;
type ErrorFrame = Extract<ServerEvent, { type: "error" }>;

export function connectionEvents(
  ctx: RealtimeContext,
  preAuth: PreAuth,
  address: string,
): WSEvents<Raw> {
  const { options, logger } = ctx;
  let ws: Raw | undefined;
  let client: Client | undefined;
  let closed = false;
  let queue: Promise<void> = Promise.resolve();
  let badFrames = 0;
  let authTimer: ReturnType<typeof setTimeout> | undefined;
  let expiryTimer: ReturnType<typeof setTimeout> | undefined;
  let pingTimer: ReturnType<typeof setInterval> | undefined;
  const take = tokenBucket(options.framesPerSecond, options.frameBurst, ctx.now);
  /** Holds one of the address's slots for sockets not signed in yet. */
  let holdsAddressSlot = false;
  const releaseAddressSlot = () => {
    if (!holdsAddressSlot) return;
    holdsAddressSlot = false;
    ctx.unauthenticated.release(address);
  };

  // Frames of one tick go out in one write (cork): a burst of deltas costs one syscall.
  let outgoing: string[] = [];
  const flush = () => {
    const frames = outgoing;
    outgoing = [];
    const socket = ws;
    if (closed || socket?.readyState !== 1) return;
    socket.cork(() => {
      for (const frame of frames) socket.send(frame);
    });
    // A reader that does not keep up would make this buffer (memory of this process) grow
    // for as long as events come: it is closed instead, and reconnects and resumes.
    if (socket.getBufferedAmount() > options.sendBufferLimitBytes) closeWith("slow_connection");
  };
  const send = (event: ServerEvent, json?: string) => {
    if (closed) return;
    if (outgoing.length === 0) setImmediate(flush);
    outgoing.push(json ?? JSON.stringify(event));
  };

  // Counted from open to close (signed in or not), once each way.
  let counted = false;
  const cleanup = () => {
    clearTimeout(authTimer);
    clearTimeout(expiryTimer);
    clearInterval(pingTimer);
    if (counted) {
      counted = false;
      ctx.metrics.wsConnectionsOpen.dec();
    }
    releaseAddressSlot();
    if (client) {
      ctx.hub.remove(client);
      client = undefined;
    }
  };

  const close = (code: number, text: string) => {
    if (closed) return;
    closed = true;
    cleanup();
    ws?.close(code, reason(text));
  };
  const closeWith = (code: FailureCode) => close(closeCodeOf(code), failures[code].message);
  /** Past the person's sockets on this process: this (new) one goes, the others stay. */
  const overUserCap = (userId: string) => ctx.hub.socketsOf(userId) >= options.maxSocketsPerUser;

  const armExpiry = (expiresAt: number) => {
    clearTimeout(expiryTimer);
    // The socket may have closed while the token was checked: cleanup has run already.
    if (closed) return;
    const ms = expiresAt * 1000 - ctx.now();
    if (ms <= 0) return close(closeCodes.unauthorized, "The token has expired.");
    expiryTimer = setTimeout(
      () => close(closeCodes.unauthorized, "The token has expired."),
      Math.min(ms, maxTimer),
    );
  };

  const becomeReady = async (auth: Authenticated) => {
    if (overUserCap(auth.user.id)) return closeWith("too_many_connections");
    armExpiry(auth.expiresAt);
    let recent: Awaited<ReturnType<typeof mostRecentSession>>;
    try {
      recent = await mostRecentSession(ctx.sql, auth.user.id);
    } catch (error) {
      // Neither ready nor closed would leave a signed-in socket open that can do nothing.
      logger.error("socket could not get ready", { error });
      const { code } = toAppError(error);
      return close(closeCodeOf(code), "The server could not get ready; reconnect.");
    }
    if (closed) return;
    // Checked again: other sockets of the person may have become ready during the read.
    if (overUserCap(auth.user.id)) return closeWith("too_many_connections");
    releaseAddressSlot();
    client = {
      userId: auth.user.id,
      sessions: new Set(recent ? [recent.id] : []),
      send,
      close: closeWith,
    };
    ctx.hub.add(client);
    send({ type: "ready", user: toUserDto(auth.user), sessionId: recent?.id ?? null });
  };

  const authenticateWith = async (token: string) => {
    let auth: Authenticated;
    try {
      auth = await ctx.authenticate(token);
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code !== "unauthorized") logger.error("socket auth failed", { error });
      // Only a bad token signs the person out; an outage asks the client to retry.
      return close(closeCodeOf(appError.code), appError.message);
    }
    if (client && auth.user.id !== client.userId)
      return close(closeCodes.unauthorized, "The token belongs to another user.");
    clearTimeout(authTimer);
    if (client) armExpiry(auth.expiresAt);
    else await becomeReady(auth);
  };

  const badFrame = (code: FailureCode, message: string) => {
    badFrames += 1;
    if (badFrames >= options.maxBadFrames)
      return close(closeCodes.protocol, "Too many invalid frames.");
    send({ type: "error", code, message });
  };

  const dispatch = async (frame: ClientFrame, current: Client) => {
    switch (frame.type) {
      case "auth":
        return authenticateWith(frame.token);
      case "ping":
        return send({ type: "pong" });
      case "chat":
        return startTurn(ctx, current, frame);
      case "cancel":
        return cancelRun(ctx, current, frame.runId);
      case "resume":
        return resumeFrame(ctx, current, frame, () => closed);
      case "regenerate":
        return regenerateAnswer(ctx, current, frame);
      case "approval":
        return decideFrame(ctx, current, frame);
    }
  };

  const handle = async (data: unknown) => {
    if (closed) return;
    if (typeof data !== "string") return badFrame("bad_request", "Frames must be JSON text.");
    if (data.length > options.maxFrameBytes)
      return badFrame("payload_too_large", "The frame is too large.");
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      json = undefined;
    }
    const parsed = clientFrame.safeParse(json);
    if (!client) {
      if (parsed.success && parsed.data.type === "auth") return authenticateWith(parsed.data.token);
      return close(closeCodes.unauthorized, "Send an auth frame first.");
    }
    if (json === undefined) return badFrame("bad_request", "The frame is not valid JSON.");
    if (!parsed.success) return badFrame("bad_request", describeIssues(parsed.error));
    // Postgres cannot store U+0000 in text: refuse it here, naming the field, not as internal.
    const nulField = nulPath(parsed.data);
    if (nulField) return badFrame("bad_request", `${nulField.join(".")}: ${nulRefusal}`);
    badFrames = 0;
    try {
      await dispatch(parsed.data, client);
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === "internal")
        logger.error("frame failed", { type: parsed.data.type, error });
      send({ type: "error", ...(appError.toJSON() as Omit<ErrorFrame, "type">) });
    }
  };

  const enqueue = (work: () => Promise<void>) => {
    queue = queue.then(work).catch((error) => logger.error("socket handler crashed", { error }));
  };

  return {
    onOpen(_event, context) {
      ws = context.raw;
      counted = true;
      ctx.metrics.wsConnectionsOpen.inc();
      pingTimer = setInterval(() => {
        if (ws?.readyState === 1) ws.ping();
      }, options.pingIntervalMs);
      if (preAuth && "error" in preAuth)
        return close(closeCodeOf(preAuth.error.code), preAuth.error.message);
      if (preAuth) return enqueue(() => becomeReady(preAuth.ok));
      // Not signed in yet: it holds a slot of its address until it is (or closes).
      if (!ctx.unauthenticated.take(address))
        return close(closeCodes.rateLimited, "Too many connections from this address.");
      holdsAddressSlot = true;
      authTimer = setTimeout(
        () => close(closeCodes.unauthorized, "Authenticate within a few seconds of connecting."),
        options.authTimeoutMs,
      );
    },
    onMessage(event) {
      if (closed) return;
      if (!take()) return close(closeCodes.rateLimited, "Too many messages; slow down.");
      const data = event.data;
      enqueue(() => handle(data));
    },
    onClose() {
      closed = true;
      cleanup();
    },
    onError(event) {
      logger.warn("socket error", { error: (event as ErrorEvent).error });
    },
  };
}
