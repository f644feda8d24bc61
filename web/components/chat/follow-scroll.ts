/**
 * When the transcript jumps to its newest message. Kept apart from React so the rules are
 * unit-tested: a reader who scrolled up to re-read something is left alone while an answer
 * streams, but opening a chat, the history arriving, and sending a message always show the end.
 */

export type ScrollBox = { scrollTop: number; scrollHeight: number; clientHeight: number };

/** What the transcript showed at one render. */
export type TranscriptShape = {
  sessionId: string | null;
  count: number;
  /** Key, role and status of the last message. */
  last: { key: string; role: "user" | "assistant"; status: string } | null;
};

/** How close to the end still counts as "at the end" (a line or two of slack). */
const slackPx = 48;

export const isAtEnd = (box: ScrollBox) =>
  box.scrollHeight - box.scrollTop - box.clientHeight <= slackPx;

/**
 * `pinned` is whether the reader was at the end at their last scroll, measured before this
 * change grew the content (measuring after would read a long new message as "scrolled up").
 */
export function shouldFollow(
  before: TranscriptShape,
  after: TranscriptShape,
  pinned: boolean,
): boolean {
  if (after.sessionId !== before.sessionId) return true;
  if (before.count === 0 && after.count > 0) return true;
  const sent =
    after.last !== null &&
    after.last.role === "user" &&
    after.last.status === "sending" &&
    after.last.key !== before.last?.key;
  return sent || pinned;
}
