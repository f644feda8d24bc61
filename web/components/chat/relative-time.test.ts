import { describe, expect, test } from "bun:test";
import { relativeTime } from "./relative-time";

const now = Date.parse("2026-11-30T12:00:00Z");
const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();

describe("relative dates in the chat list", () => {
  test("reads as people say it, from seconds to years", () => {
    expect(relativeTime(ago(10), now)).toBe("just now");
    expect(relativeTime(ago(5 * 60), now)).toBe("5 minutes ago");
    expect(relativeTime(ago(3 * 3600), now)).toBe("3 hours ago");
    expect(relativeTime(ago(26 * 3600), now)).toBe("yesterday");
    expect(relativeTime(ago(3 * 86400), now)).toBe("3 days ago");
    expect(relativeTime(ago(8 * 86400), now)).toBe("last week");
    expect(relativeTime(ago(70 * 86400), now)).toBe("2 months ago");
    expect(relativeTime(ago(800 * 86400), now)).toBe("2 years ago");
  });

  test("a server clock slightly ahead is still just now; garbage is nothing", () => {
    expect(relativeTime(ago(-30), now)).toBe("just now");
    expect(relativeTime("not a date", now)).toBe("");
  });
});
