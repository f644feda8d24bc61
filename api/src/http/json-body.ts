/** Small JSON bodies of the person-facing routes, parsed with their zod schema at the edge. */
import { AppError } from "@trainer2/shared/errors";
import type { Context } from "hono";
import { z } from "zod";

/** These bodies are a title or an email: anything larger is not one of them. */
const maxBodyBytes = 16 * 1024;

/** The body as `schema` says, or a `bad_request` naming the first field that is wrong. */
export async function jsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  if (Number(c.req.header("content-length") ?? 0) > maxBodyBytes)
    throw new AppError("payload_too_large", `The body may be ${maxBodyBytes} bytes at most.`);
  const text = await c.req.text();
  if (text.length > maxBodyBytes)
    throw new AppError("payload_too_large", `The body may be ${maxBodyBytes} bytes at most.`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError("bad_request", "The body must be JSON.");
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new AppError("bad_request", `${issue?.path.join(".") || "body"}: ${issue?.message}`);
}

const sessionId = z.uuid({ message: "the session id must be a UUID" });

/** A `:id` path parameter that must be a session id. */
export function sessionIdParam(value: string | undefined): string {
  const parsed = sessionId.safeParse(value);
  if (!parsed.success) throw new AppError("bad_request", "The session id must be a UUID.");
  return parsed.data;
}
