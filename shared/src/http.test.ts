/**
 * Body limits hold without a Content-Length: a chunked body is counted as it arrives and
 * refused once past the limit, without waiting for (or holding) the rest of it.
 */
import { afterAll, expect, test } from "bun:test";
import { Hono } from "hono";
import { z } from "zod";
import { answerErrorsAsJson, parseJsonBody } from "./http.ts";

const app = new Hono();
answerErrorsAsJson(app, () => {});
app.post("/echo", async (c) =>
  c.json(await parseJsonBody(c, z.object({ text: z.string() }), { maxBytes: 1024 })),
);
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch, idleTimeout: 0 });
const url = `http://127.0.0.1:${server.port}/echo`;
afterAll(() => server.stop(true));

/** A chunked body (no Content-Length): `first`, then nothing more until the test ends. */
function endless(first: string) {
  let stop: () => void = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(first));
      stop = () => {
        try {
          controller.close();
        } catch {
          // Already cancelled by the server: nothing to end.
        }
      };
    },
  });
  return { body, stop: () => stop() };
}

test("a chunked body past the limit is refused with 413 before it ends", async () => {
  const { body, stop } = endless(`{"text":"${"x".repeat(4096)}`);
  try {
    const response = await fetch(url, { method: "POST", body, duplex: "half" } as RequestInit);
    expect(response.status).toBe(413);
    expect((await response.json()).error.code).toBe("payload_too_large");
  } finally {
    stop();
  }
});

test("a chunked body within the limit, and a declared one over it, are judged as before", async () => {
  const small = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"text":'));
      controller.enqueue(new TextEncoder().encode('"hi"}'));
      controller.close();
    },
  });
  const ok = await fetch(url, { method: "POST", body: small, duplex: "half" } as RequestInit);
  expect(await ok.json()).toEqual({ text: "hi" });
  const declared = await fetch(url, {
    method: "POST",
    body: JSON.stringify({ text: "é".repeat(600) }),
  });
  expect(declared.status).toBe(413);
});
