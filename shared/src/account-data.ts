/**
 * "Download my data": everything trainer2 holds about a person, as one JSON file. This schema
 * is that file's contract: the api builds it (and checks it before sending), the web saves it,
 * tests validate what was downloaded against it. A new table of a user's data belongs here too.
 */
import { z } from "zod";
import { messageDto, profileDto, uuid, workoutDto } from "./wire.ts";

export const accountExportFormat = "trainer2.account-export";

const timestamp = z.iso.datetime({ offset: true });

/** The sign-in identity the account was made from, and what it last said about the person. */
export const exportedUserDto = z.object({
  id: uuid,
  issuer: z.string(),
  subject: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  picture: z.string().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const exportedSessionDto = z.object({
  id: uuid,
  title: z.string().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
  /** Every message, oldest first (a regenerated answer and the one it replaced both). */
  messages: z.array(messageDto),
});

/** One call the agent made to a tool for the person (the audit trail), oldest first. */
export const exportedToolCallDto = z.object({
  id: uuid,
  toolCallId: z.string(),
  runId: uuid,
  /** Null once its chat was deleted: the call and what it changed outlive the chat. */
  sessionId: uuid.nullable(),
  tool: z.string(),
  arguments: z.unknown(),
  result: z.unknown(),
  status: z.enum(["ok", "error", "invalid", "refused"]),
  errorCode: z.string().nullable(),
  durationMs: z.number().int().nullable(),
  createdAt: timestamp,
});

/**
 * One tool call the person was asked to approve, and what was decided: by them (approved,
 * rejected, with their reason) or by the clock (expired). Oldest first: the audit trail.
 */
export const exportedApprovalDto = z.object({
  runId: uuid,
  callId: z.string(),
  /** Null once its chat was deleted. */
  sessionId: uuid.nullable(),
  tool: z.string(),
  arguments: z.unknown(),
  /** The sentence the person was shown. */
  summary: z.string(),
  status: z.enum(["pending", "approved", "rejected", "expired"]),
  reason: z.string().nullable(),
  requestedAt: timestamp,
  expiresAt: timestamp,
  decidedAt: timestamp.nullable(),
  /** The person who decided (only they may); null while pending or when it expired. */
  decidedBy: uuid.nullable(),
});

export const accountExportDto = z.strictObject({
  format: z.literal(accountExportFormat),
  version: z.literal(1),
  exportedAt: timestamp,
  user: exportedUserDto,
  profile: profileDto,
  /** Every workout, newest first. */
  workouts: z.array(workoutDto),
  /** Every chat, most recently active first. */
  sessions: z.array(exportedSessionDto),
  toolCalls: z.array(exportedToolCallDto),
  approvals: z.array(exportedApprovalDto),
});

export type AccountExport = z.infer<typeof accountExportDto>;
export type ExportedToolCall = z.infer<typeof exportedToolCallDto>;
export type ExportedApproval = z.infer<typeof exportedApprovalDto>;
