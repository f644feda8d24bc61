import { describe, expect, test } from "bun:test";
import { isDriverFailure } from "./driver-failures.ts";

describe("which uncaught failures the api outlives", () => {
  test("a database link that broke, or a throw inside the driver; not the api's own bugs", () => {
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    const shutdown = Object.assign(new Error("terminating connection"), { code: "57P01" });
    const insideDriver = new TypeError("null is not an object (evaluating 'socket.write')");
    insideDriver.stack = `TypeError: null is not an object\n    at nextWrite (/app/node_modules/postgres/src/connection.js:255:5)`;
    const ours = new TypeError("undefined is not a function");
    ours.stack =
      "TypeError: undefined is not a function\n    at startRun (/app/api/src/realtime/run-lifecycle.ts:80:3)";
    expect([reset, shutdown, insideDriver, ours, "text"].map(isDriverFailure)).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});
