"use client";

import { memo, useEffect, useRef } from "react";
import type { ChatItem } from "@/lib/realtime/chat-state";
import { toolText } from "./tool-line";

type Props = { items: ChatItem[]; loading: boolean; onRetry: (item: ChatItem) => void };

// Items keep their identity until they change, so while one answer streams only it re-renders.
const Message = memo(function Message({
  item,
  onRetry,
}: {
  item: ChatItem;
  onRetry: (item: ChatItem) => void;
}) {
  const typing = item.status === "streaming" && item.content === "";
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
        <div className="content">{item.content}</div>
      ) : null}
      {item.status === "sending" ? <p className="meta">Sending…</p> : null}
      {item.status === "interrupted" && !item.error ? <p className="meta">Stopped</p> : null}
      {item.status === "failed" || item.error ? (
        <div className="failure" role="alert">
          <span>{item.error?.message ?? "This answer could not be completed."}</span>
          <button type="button" className="button small" onClick={() => onRetry(item)}>
            Retry
          </button>
        </div>
      ) : null}
    </article>
  );
});

export function Transcript({ items, loading, onRetry }: Props) {
  const end = useRef<HTMLDivElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const last = items.at(-1);
  const lastLength = last?.content.length ?? 0;

  // Follow the answer as it streams, unless the reader scrolled up to read something else.
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-run as the last message grows
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const nearBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 160;
    if (nearBottom) end.current?.scrollIntoView({ block: "end" });
  }, [items.length, lastLength]);

  return (
    <div className="transcript" ref={box} role="log" aria-label="Messages" tabIndex={-1}>
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
        <Message key={item.key} item={item} onRetry={onRetry} />
      ))}
      <div ref={end} />
    </div>
  );
}
