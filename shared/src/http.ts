/**
 * The one JSON error shape on every HTTP route of the api and the agent (see errors.ts):
 * thrown errors, unknown routes and wrong methods all answer `{error: {code, message}}`.
 */
import type { Context, Hono, MiddlewareHandler } from "hono";
import type { z } from "zod";
import { AppError, errorResponse, toAppError } from "./errors.ts";

/** Called for every error answered with a 5xx, with its cause, for the service's log. */
export type ServerErrorLog = (error: AppError, c: Context) => void;

/** The error as a JSON response; `status` overrides the registry's (e.g. 426 for an upgrade). */
export function errorJson(c: Context, error: unknown, status?: number): Response {
  const response = errorResponse(error);
  return c.json(response.body, (status ?? response.status) as 500);
}

/** Sets `app.onError` and `app.notFound` to answer in the one shape. */
// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its variables
export function answerErrorsAsJson(app: Hono<any>, logServerError: ServerErrorLog): void {
  app.onError((error, c) => {
    const appError = toAppError(error);
    if (appError.status >= 500) logServerError(appError, c);
    return errorJson(c, appError);
  });
  app.notFound((c) =>
    errorJson(c, new AppError("not_found", `There is no route ${c.req.method} ${c.req.path}.`)),
  );
}

/**
 * How large a request's URL plus headers may be. Bun's own parser refuses more than its
 * limit with an empty 431 that no app code sees, so the services start with a larger parser
 * limit (`serverRuntimeFlags`) and this middleware answers in the one error shape instead.
 */
export const requestHeadLimit = 16 * 1024;
/** Bun's parser limit the services start with; beyond it Bun's empty 431 still applies. */
export const parserHeadLimit = 64 * 1024;
/** Flags for `bun` when it starts the api or the agent (bun dev, images, tests, bench). */
export const serverRuntimeFlags = [`--max-http-header-size=${parserHeadLimit}`];

export function limitRequestHead(maxBytes = requestHeadLimit): MiddlewareHandler {
  return async (c, next) => {
    let size = c.req.url.length;
    c.req.raw.headers.forEach((value, name) => {
      size += name.length + value.length + 4;
    });
    if (size > maxBytes)
      return errorJson(
        c,
        new AppError("headers_too_large", `The URL and headers may be ${maxBytes} bytes at most.`),
      );
    await next();
  };
}

/**
 * A request's JSON body as `schema` says, or a `bad_request` naming the first field that is
 * wrong (`payload_too_large` past `maxBytes`, when given: declared or read).
 */
export async function parseJsonBody<T extends z.ZodType>(
  c: Context,
  schema: T,
  options: { maxBytes?: number } = {},
): Promise<z.infer<T>> {
  const { maxBytes } = options;
  const text =
    maxBytes === undefined
      ? await c.req.text()
      : await readBodyText(c.req.raw, maxBytes, () => {
          throw new AppError("payload_too_large", `The body may be ${maxBytes} bytes at most.`);
        });
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

/**
 * The body as text, read no further than `maxBytes`: a declared Content-Length above it is
 * refused before reading, and a body without one (chunked) is counted as it arrives and
 * cancelled past the limit, so a large body is never held whole before its size is known.
 * `tooLarge` is called (and should throw) when the body is over the limit.
 */
export async function readBodyText(
  request: Request,
  maxBytes: number,
  tooLarge: () => never,
): Promise<string> {
  if (Number(request.headers.get("content-length") ?? 0) > maxBytes) tooLarge();
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
