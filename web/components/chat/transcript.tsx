"use client";

import { Fragment, memo, useEffect, useLayoutEffect, useRef } from "react";
import type { ApprovalCard as Card } from "@/lib/realtime/approval-state";
import type { ChatItem } from "@/lib/realtime/chat-state";
import { shownItems } from "@/lib/realtime/transcript-view";
import { ApprovalCard } from "./approval-card";
import { failureText } from "./failure-line";
import { isAtEnd, shouldFollow, type TranscriptShape } from "./follow-scroll";
import { Markdown } from "./markdown";
import { MessageActions } from "./message-actions";
import { toolText } from "./tool-line";

type Props = {
  sessionId: string | null;
  items: ChatItem[];
  loading: boolean;
  streaming: boolean;
  onRetry: (item: ChatItem) => void;
  /** The answer Regenerate applies to (see transcript-view.ts), if any. */
  regenerable: ChatItem | null;
  onRegenerate: () => void;
  /** Tool calls waiting for the person: shown under the answer that paused on them. */
  approvals: Card[];
  onDecide: (card: Card, decision: "approve" | "reject", reason?: string) => void;
};

/** An answer is a model's Markdown (rendered safely); what the person wrote stays plain text. */
function Content({ item }: { item: ChatItem }) {
  if (item.role === "user") return <div className="content">{item.content}</div>;
  return (
    <div className="content rendered">
      <Markdown text={item.content} streaming={item.status === "streaming"} />
    </div>
  );
}

// Items keep their identity until they change, so while one answer streams only it re-renders.
const Message = memo(function Message({
  item,
  onRetry,
  onRegenerate,
}: {
  item: ChatItem;
  onRetry: (item: ChatItem) => void;
  onRegenerate: (() => void) | undefined;
}) {
  const typing = item.status === "streaming" && item.content === "";
  const paused = item.status === "awaiting_approval";
  const ended = item.status !== "streaming" && item.status !== "sending" && !paused;
  return (
    <article
      className={`message ${item.role}`}
      data-testid="message"
      data-role={item.role}
      data-status={item.status}
      data-seq={item.seq ?? undefined}
    >
      {item.tools.map((tool, index) => (
        <p
          // Tool lines only ever get appended or updated in place.
          // biome-ignore lint/suspicious/noArrayIndexKey: position is the identity here
          key={index}
          className={`tool tool-${tool.status}`}
          data-testid="tool-line"
        >
          {toolText(tool)}
        </p>
      ))}
      {typing ? (
        <p className="typing">
          <span className="visually-hidden">The trainer is writing…</span>
          <span aria-hidden="true" />
          <span aria-hidden="true" />
          <span aria-hidden="true" />
        </p>
      ) : item.content ? (
        <Content item={item} />
      ) : null}
      {item.status === "sending" ? <p className="meta">Sending…</p> : null}
      {paused ? <p className="meta">Waiting for your decision</p> : null}
      {item.status === "interrupted" && !item.error ? <p className="meta">Stopped</p> : null}
      {item.status === "failed" || item.error ? (
        <div className="failure" role="alert">
          <span>{failureText(item.error)}</span>
          <button type="button" className="button small" onClick={() => onRetry(item)}>
            Retry
          </button>
        </div>
      ) : null}
      {ended && (item.content || onRegenerate) ? (
        <MessageActions text={item.content} onRegenerate={onRegenerate} />
      ) : null}
    </article>
  );
});

const cardsOf = (approvals: Card[], item: ChatItem) =>
  item.role === "assistant" && item.runId ? approvals.filter((c) => c.runId === item.runId) : [];

/** Cards whose answer is not (yet) in the transcript still show, at its end. */
const orphans = (approvals: Card[], items: ChatItem[]) =>
  approvals.filter((card) => !items.some((i) => i.role === "assistant" && i.runId === card.runId));

const shapeOf = (sessionId: string | null, items: ChatItem[]): TranscriptShape => {
  const last = items.at(-1);
  return {
    sessionId,
    count: items.length,
    last: last ? { key: last.key, role: last.role, status: last.status } : null,
  };
};

export function Transcript({
  sessionId,
  items: all,
  loading,
  streaming,
  onRetry,
  regenerable,
  onRegenerate,
  approvals,
  onDecide,
}: Props) {
  const items = shownItems(all);
  const box = useRef<HTMLDivElement>(null);
  // Whether the reader was at the end at their last scroll (see follow-scroll.ts).
  const pinned = useRef(true);
  const shown = useRef<TranscriptShape>(shapeOf(null, []));
  const last = items.at(-1);
  const lastLength = last?.content.length ?? 0;

  // Before paint, so the reader never sees the old position flash.
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-run as the last message grows
  useLayoutEffect(() => {
    const el = box.current;
    const now = shapeOf(sessionId, items);
    const follow = shouldFollow(shown.current, now, pinned.current);
    shown.current = now;
    if (!el || !follow) return;
    // scrollTop, not scrollIntoView: that would also scroll the page around the transcript.
    el.scrollTop = el.scrollHeight;
    pinned.current = true;
    // A card arriving after its paused answer is followed into view as a new message is.
  }, [sessionId, items.length, last?.key, last?.status, lastLength, approvals.length]);

  // The box itself changes size too (the offline banner arriving, the phone's profile panel,
  // the composer growing): a reader at the end stays at the end.
  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      if (pinned.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  return (
    <div
      className="transcript"
      ref={box}
      role="log"
      aria-label="Messages"
      // While an answer streams, screen readers wait for it instead of reading each token.
      aria-busy={streaming}
      // No tabIndex: browsers make a scrolling box keyboard-focusable by themselves (arrows,
      // Page Up/Down); -1 would take that away.
      onScroll={(event) => {
        pinned.current = isAtEnd(event.currentTarget);
      }}
    >
      {loading && items.length === 0 ? <p className="muted center">Loading your chat…</p> : null}
      {!loading && items.length === 0 ? (
        <div className="empty">
          <h2>Say hello to your trainer</h2>
          <p className="muted">
            Tell it about your goal, your experience and the equipment you have. Try “my goal is to
            run a 5k”.
          </p>
        </div>
      ) : null}
      {items.map((item) => (
        <Fragment key={item.key}>
          <Message
            item={item}
            onRetry={onRetry}
            onRegenerate={item === regenerable ? onRegenerate : undefined}
          />
          {cardsOf(approvals, item).map((card) => (
            <ApprovalCard key={card.callId} card={card} onDecide={onDecide} />
          ))}
        </Fragment>
      ))}
      {orphans(approvals, items).map((card) => (
        <ApprovalCard key={card.callId} card={card} onDecide={onDecide} />
      ))}
    </div>
  );
}
