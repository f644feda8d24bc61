import { describe, expect, test } from "bun:test";
import { isAtEnd, shouldFollow, type TranscriptShape } from "./follow-scroll";

const shape = (over: Partial<TranscriptShape> = {}): TranscriptShape => ({
  sessionId: "s1",
  count: 4,
  last: { key: "s:4", role: "assistant", status: "streaming" },
  ...over,
});

describe("isAtEnd", () => {
  test("at or near the end, not when scrolled up", () => {
    expect(isAtEnd({ scrollTop: 400, scrollHeight: 1000, clientHeight: 600 })).toBe(true);
    expect(isAtEnd({ scrollTop: 380, scrollHeight: 1000, clientHeight: 600 })).toBe(true);
    expect(isAtEnd({ scrollTop: 100, scrollHeight: 1000, clientHeight: 600 })).toBe(false);
    expect(isAtEnd({ scrollTop: 0, scrollHeight: 300, clientHeight: 600 })).toBe(true);
  });
});

describe("shouldFollow", () => {
  test("a streaming answer is followed only while the reader stays at the end", () => {
    expect(shouldFollow(shape(), shape(), true)).toBe(true);
    expect(shouldFollow(shape(), shape(), false)).toBe(false);
  });

  test("the history arriving, or another chat opening, always shows the end", () => {
    expect(shouldFollow(shape({ count: 0, last: null }), shape({ count: 12 }), false)).toBe(true);
    expect(shouldFollow(shape(), shape({ sessionId: "s2" }), false)).toBe(true);
    expect(shouldFollow(shape({ sessionId: null }), shape(), false)).toBe(true);
  });

  test("sending a message shows it even when the reader had scrolled up", () => {
    const sent = shape({ count: 5, last: { key: "c:abc", role: "user", status: "sending" } });
    expect(
      shouldFollow(shape({ last: { ...shape().last!, status: "complete" } }), sent, false),
    ).toBe(true);
    // The same pending message re-rendering is not a new send.
    expect(shouldFollow(sent, sent, false)).toBe(false);
  });
});
