import { describe, expect, test } from "bun:test";
import { singleFlight } from "./single-flight";

/** A refresh the test settles by hand, counting calls per refresh token. */
function controlled() {
  const calls: string[] = [];
  const pending: { resolve: (v: string) => void; reject: (e: Error) => void }[] = [];
  const refresh = (rt: string) => {
    calls.push(rt);
    return new Promise<string>((resolve, reject) => pending.push({ resolve, reject }));
  };
  return { calls, pending, refresh };
}

describe("singleFlight", () => {
  test("concurrent refreshes with one token make one call and share its answer", async () => {
    const { calls, pending, refresh } = controlled();
    const once = singleFlight(refresh);
    const a = once("rt-1");
    const b = once("rt-1");
    const other = once("rt-2");
    expect(calls).toEqual(["rt-1", "rt-2"]);
    pending[0]!.resolve("new-1");
    pending[1]!.resolve("new-2");
    expect(await Promise.all([a, b, other])).toEqual(["new-1", "new-1", "new-2"]);
  });

  test("a late request with the spent token gets the same answer until it is forgotten", async () => {
    let now = 0;
    const { calls, pending, refresh } = controlled();
    const once = singleFlight(refresh, { rememberMs: 1000, now: () => now });
    const first = once("rt-1");
    pending[0]!.resolve("new-1");
    await first;
    now = 999;
    expect(await once("rt-1")).toBe("new-1");
    expect(calls).toEqual(["rt-1"]);
    now = 1000;
    const again = once("rt-1");
    expect(calls).toEqual(["rt-1", "rt-1"]);
    pending[1]!.resolve("new-2");
    expect(await again).toBe("new-2");
  });

  test("a failure reaches every waiting request, and the next one tries again", async () => {
    const { calls, pending, refresh } = controlled();
    const once = singleFlight(refresh);
    const a = once("rt-1");
    const b = once("rt-1");
    pending[0]!.reject(new Error("down"));
    await expect(a).rejects.toThrow("down");
    await expect(b).rejects.toThrow("down");
    const c = once("rt-1");
    expect(calls).toEqual(["rt-1", "rt-1"]);
    pending[1]!.resolve("new");
    expect(await c).toBe("new");
  });

  test("a remembered answer that is no longer good is not handed out again", async () => {
    const { calls, pending, refresh } = controlled();
    let good = true;
    const once = singleFlight(refresh, { stillGood: () => good });
    const first = once("rt-1");
    pending[0]!.resolve("new-1");
    await first;
    expect(await once("rt-1")).toBe("new-1");
    good = false;
    const again = once("rt-1");
    expect(calls).toEqual(["rt-1", "rt-1"]);
    pending[1]!.resolve("new-2");
    expect(await again).toBe("new-2");
  });
});
