"use client";

import type { SessionSummary } from "@trainer2/shared/wire";
import { maxSessionTitleLength } from "@trainer2/shared/wire";
import { useEffect, useRef, useState } from "react";
import { ConfirmDialog } from "./confirm-dialog";
import { fullTime, relativeTime } from "./relative-time";
import "./session-list.css";

type Props = {
  sessions: SessionSummary[];
  currentId: string | null;
  disabled: boolean;
  onNew: () => void;
  onOpen: (id: string) => void;
  /** Each resolves true once done; a refusal shows as the page's notice. */
  onRename: (id: string, title: string) => Promise<boolean>;
  onDelete: (id: string) => Promise<boolean>;
};

/** "5 minutes ago" stays true: the list re-reads the clock every minute. */
function useMinuteClock(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

const titleOf = (session: SessionSummary) => session.title ?? "Untitled chat";

/** A small icon in the text's colour (its button carries the name). */
const Icon = ({ path }: { path: string }) => (
  <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
    <path d={path} fill="currentColor" />
  </svg>
);

export function SessionList(props: Props) {
  const { sessions, currentId, disabled, onNew, onOpen } = props;
  const now = useMinuteClock();
  const [renaming, setRenaming] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<SessionSummary | null>(null);

  return (
    <nav className="sessions" aria-label="Chats">
      <button type="button" className="button primary new-chat" onClick={onNew} disabled={disabled}>
        New chat
      </button>
      {sessions.length === 0 ? <p className="muted small">No chats yet.</p> : null}
      <ul>
        {sessions.map((session) => (
          <li key={session.id} className={session.id === currentId ? "current" : undefined}>
            {renaming === session.id ? (
              <RenameField
                session={session}
                onDone={async (title) => {
                  if (title !== null && title !== session.title)
                    await props.onRename(session.id, title);
                  setRenaming(null);
                }}
              />
            ) : (
              <button
                type="button"
                className="session"
                aria-current={session.id === currentId ? "page" : undefined}
                disabled={disabled && session.id !== currentId}
                onClick={() => onOpen(session.id)}
              >
                {/* Long titles are cut with an ellipsis; the tooltip has the whole one. */}
                <span className="session-title" title={session.title ?? undefined}>
                  {titleOf(session)}
                </span>
                <time
                  className="session-time"
                  dateTime={session.updatedAt}
                  title={fullTime(session.updatedAt)}
                >
                  {relativeTime(session.updatedAt, now)}
                </time>
              </button>
            )}
            {session.id === currentId && renaming !== session.id ? (
              <span className="session-tools">
                <button
                  type="button"
                  className="icon-button"
                  aria-label="Rename chat"
                  title="Rename chat"
                  onClick={() => setRenaming(session.id)}
                >
                  <Icon path="M3 17.25V21h3.75L17.8 9.94l-3.75-3.75L3 17.25zM20.7 7.04a1 1 0 0 0 0-1.41l-2.33-2.33a1 1 0 0 0-1.41 0l-1.83 1.83 3.75 3.75 1.82-1.84z" />
                </button>
                <button
                  type="button"
                  className="icon-button"
                  aria-label="Delete chat"
                  title="Delete chat"
                  onClick={() => setDeleting(session)}
                >
                  <Icon path="M6 19a2 2 0 0 0 2 2h8a2 2 0 0 0 2-2V7H6v12zM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z" />
                </button>
              </span>
            ) : null}
          </li>
        ))}
      </ul>
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this chat?"
        confirmLabel="Delete chat"
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          if (deleting) await props.onDelete(deleting.id);
          return null;
        }}
      >
        <p>
          “{deleting ? titleOf(deleting) : ""}” and all its messages will be deleted. This cannot be
          undone.
        </p>
      </ConfirmDialog>
    </nav>
  );
}

/** The title in place, editable: Enter or leaving the field saves, Escape keeps the old one. */
function RenameField({
  session,
  onDone,
}: {
  session: SessionSummary;
  onDone: (title: string | null) => Promise<void>;
}) {
  const [value, setValue] = useState(session.title ?? "");
  // A ref, not state: Enter and the blur that follows it come in one tick.
  const done = useRef(false);
  const finish = (title: string | null) => {
    if (done.current) return;
    done.current = true;
    void onDone(title?.trim() ? title.trim() : null);
  };
  return (
    <input
      className="session-rename"
      aria-label="Chat title"
      // biome-ignore lint/a11y/noAutofocus: the person just asked to type a new title
      autoFocus
      maxLength={maxSessionTitleLength}
      value={value}
      onChange={(event) => setValue(event.target.value)}
      onKeyDown={(event) => {
        if (event.key === "Enter") finish(value);
        if (event.key === "Escape") finish(null);
      }}
      onBlur={() => finish(value)}
    />
  );
}
