import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findRunningEmbedded } from "./local.ts";

const scratch = () => mkdtempSync(join(tmpdir(), "trainer2-local-"));

describe("finding the embedded database of bun dev", () => {
  test("a record of a live process is used; a dead one or a torn file is not", () => {
    const dir = scratch();
    expect(findRunningEmbedded(dir)).toBeUndefined();
    writeFileSync(
      join(dir, "embedded.json"),
      JSON.stringify({ url: "postgres://x", pid: process.pid }),
    );
    expect(findRunningEmbedded(dir)).toBe("postgres://x");
    writeFileSync(
      join(dir, "embedded.json"),
      JSON.stringify({ url: "postgres://x", pid: 2 ** 22 + 7 }),
    );
    expect(findRunningEmbedded(dir)).toBeUndefined();
    writeFileSync(join(dir, "embedded.json"), '{"url": "postgres://x", "pi');
    expect(findRunningEmbedded(dir)).toBeUndefined();
  });
});
