/**
 * The shape of one tool. Each `*.tool.ts` file in this folder default-exports
 * `defineTool({...})`; the registry finds them, so adding a tool means adding one file.
 */
import type { TransactionSql } from "@trainer2/db";
import type { Queryable } from "@trainer2/db/queries/users";
import type { ToolActivity, ToolApprovalMode } from "@trainer2/shared/wire";
import type { z } from "zod";

/** Who the call acts for: taken from the run token, never from the arguments. */
export type ToolContext = {
  /** The call's transaction (a savepoint of it): every write of the tool goes through it. */
  tx: TransactionSql;
  userId: string;
  sessionId: string;
  runId: string;
};

/** What a tool tells the agent about a table it works on (merged into the table cards). */
export type TableMeaning = {
  name: string;
  /** The table's purpose, one or two sentences. */
  description: string;
  /** Column name → one-line meaning. Columns not listed still appear in the card. */
  columns: Record<string, string>;
};

/** What an approval rule and the approval sentence may read: the person's data, never write. */
export type ApprovalContext = { sql: Queryable; userId: string };

/**
 * Whether a call waits for the person's approval before it runs, and the sentence they are
 * shown. `needed`: "always", or a function of the arguments and the person's data (true: ask).
 */
export type ToolApproval<Args> = {
  needed: "always" | ((ctx: ApprovalContext, args: Args) => Promise<boolean>);
  /** One plain sentence naming what will happen, e.g. "Delete your 30 min run of 28 Nov". */
  summary: (ctx: ApprovalContext, args: Args) => Promise<string>;
};

export type ToolDefinition<Input extends z.ZodObject> = {
  /** snake_case, as the model sees it. */
  name: string;
  /** Written for the model: when to call it and what it returns. */
  description: string;
  /**
   * Arguments. Strict-mode friendly: every field present (`.nullable()`, never
   * `.optional()`), strict objects, no unions but nullable ones.
   */
  input: Input;
  /**
   * How its line reads to the person in the chat: while it runs ("Logging your workout…"),
   * once done ("Logged your workout"), and when it failed without a message of its own.
   * Published with the tool, so a new tool file words its own line all the way to the page.
   */
  activity: ToolActivity;
  /** True when a success may change the user's data: their open sockets get a `state` event. */
  mutates: boolean;
  tables?: TableMeaning[];
  /** Absent: the tool never waits for approval. */
  approval?: ToolApproval<z.output<Input>>;
  handler: (ctx: ToolContext, args: z.output<Input>) => Promise<unknown>;
};

/** A tool with its argument type erased, as the registry and the routes hold it. */
export type Tool = Omit<ToolDefinition<z.ZodObject>, "handler" | "approval"> & {
  /** Call only with arguments that `input` parsed. */
  handler: (ctx: ToolContext, args: unknown) => Promise<unknown>;
  approval?: ToolApproval<unknown>;
};

export function defineTool<Input extends z.ZodObject>(definition: ToolDefinition<Input>): Tool {
  const { handler, approval, ...rest } = definition;
  return {
    ...rest,
    handler: (ctx, args) => handler(ctx, args as z.output<Input>),
    ...(approval ? { approval: approval as ToolApproval<unknown> } : {}),
  };
}

/** How a tool's approval is published: the agent asks the api about `conditional` calls. */
export function approvalMode(tool: Tool): ToolApprovalMode {
  if (!tool.approval) return "never";
  return tool.approval.needed === "always" ? "always" : "conditional";
}

/** True when this call (parsed arguments) must wait for the person's approval. */
export async function needsApproval(tool: Tool, ctx: ApprovalContext, args: unknown) {
  const needed = tool.approval?.needed;
  if (!needed) return false;
  return needed === "always" ? true : needed(ctx, args);
}
