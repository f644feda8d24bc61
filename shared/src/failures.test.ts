import { describe, expect, test } from "bun:test";
import { AppError, errorBody, errorResponse, toAppError } from "./errors.ts";
import {
  closeCodes,
  endedStatus,
  failureCode,
  failureMessage,
  failureOf,
  failures,
  isFailureCode,
} from "./failures.ts";

describe("the failure registry", () => {
  test("every code has an HTTP status and a sentence for a person", () => {
    for (const code of failureCode.options) {
      const { status, message } = failureOf(code);
      expect([code, status >= 400 && status < 600]).toEqual([code, true]);
      expect([code, /^[A-Z].*[.!?]$/.test(message)]).toEqual([code, true]);
    }
  });

  test("close codes are the registry's, each meaning one thing", () => {
    const used = failureCode.options.flatMap((code) => failureOf(code).close ?? []);
    expect(new Set(used).size).toBe(used.length);
    expect(closeCodes).toMatchObject({ unauthorized: 4401, protocol: 4400, rateLimited: 4429 });
    // An infrastructure failure is retryable, never the sign-in close.
    expect(closeCodes.unavailable).toBe(1013);
    expect(closeCodes.internal).toBe(1011);
  });

  test("a stored answer ends as its code says: a Stop or restart keeps what was written", () => {
    expect(endedStatus("cancelled", "")).toBe("interrupted");
    expect(endedStatus("cancelled", "Once upon")).toBe("interrupted");
    expect(endedStatus("interrupted", "")).toBe("interrupted");
    expect(endedStatus("model_timeout", "")).toBe("failed");
    // A failure after some text keeps the text as interrupted.
    expect(endedStatus("agent_error", "Half an ans")).toBe("interrupted");
  });

  test("a code from elsewhere (an older or newer store) reads as internal", () => {
    expect(isFailureCode("new_code")).toBe(false);
    expect(isFailureCode("toString")).toBe(false);
    expect(failureMessage("new_code")).toBe(failures.internal.message);
    expect(failureMessage("busy")).toBe(failures.busy.message);
  });
});

describe("what counts as an outage, not a bad request", () => {
  test("a server down, restarting or full is unavailable; a bad query is internal", () => {
    const coded = (code: string) => Object.assign(new Error(code), { code });
    for (const code of ["ECONNREFUSED", "CONNECTION_CLOSED", "08006", "57P01", "57P03", "53300"])
      expect([code, toAppError(coded(code)).code]).toEqual([code, "unavailable"]);
    for (const code of ["42P01", "23505", "57014"])
      expect([code, toAppError(coded(code)).code]).toEqual([code, "internal"]);
    // Wrapped causes count too.
    expect(toAppError(new Error("x", { cause: coded("57P03") })).code).toBe("unavailable");
  });
});

describe("the one error shape", () => {
  test("an AppError answers with its status and {error: {code, message, ...details}}", () => {
    const { body, status } = errorResponse(
      new AppError("conflict", undefined, { details: { sessionId: "s", seq: 3 } }),
    );
    expect(status).toBe(409);
    expect(body).toEqual({
      error: { code: "conflict", message: failures.conflict.message, sessionId: "s", seq: 3 },
    });
    expect(errorBody.parse(body)).toEqual(body);
  });

  test("anything else is internal, and its cause never reaches the body", () => {
    const error = toAppError(new Error("password=hunter2"));
    expect(error.code).toBe("internal");
    expect(JSON.stringify(errorResponse(error).body)).not.toContain("hunter2");
  });

  test("details never overwrite the code or the message", () => {
    const error = new AppError("busy", "Still answering.", {
      details: { code: "x", message: "y" },
    });
    expect(error.toJSON()).toEqual({ code: "busy", message: "Still answering." });
  });
});
