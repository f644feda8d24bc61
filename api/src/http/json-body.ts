/** Small JSON bodies of the person-facing routes, parsed with their zod schema at the edge. */
import { AppError } from "@trainer2/shared/errors";
import { parseJsonBody } from "@trainer2/shared/http";
import type { Context } from "hono";
import { z } from "zod";

/** These bodies are a title or an email: anything larger is not one of them. */
const maxBodyBytes = 16 * 1024;

/** The body as `schema` says, or a `bad_request` naming the first field that is wrong. */
export const jsonBody = <T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> =>
  parseJsonBody(c, schema, { maxBytes: maxBodyBytes });

const sessionId = z.uuid({ message: "the session id must be a UUID" });

/** A `:id` path parameter that must be a session id. */
export function sessionIdParam(value: string | undefined): string {
  const parsed = sessionId.safeParse(value);
  if (!parsed.success) throw new AppError("bad_request", "The session id must be a UUID.");
  return parsed.data;
}
