import type { SessionSummary } from "@trainer2/shared/wire";

type Props = {
  sessions: SessionSummary[];
  currentId: string | null;
  disabled: boolean;
  onNew: () => void;
  onOpen: (id: string) => void;
};

export function SessionList({ sessions, currentId, disabled, onNew, onOpen }: Props) {
  return (
    <nav className="sessions" aria-label="Chats">
      <button type="button" className="button primary new-chat" onClick={onNew} disabled={disabled}>
        New chat
      </button>
      {sessions.length === 0 ? <p className="muted small">No chats yet.</p> : null}
      <ul>
        {sessions.map((session) => (
          <li key={session.id}>
            <button
              type="button"
              className="session"
              aria-current={session.id === currentId ? "page" : undefined}
              disabled={disabled && session.id !== currentId}
              onClick={() => onOpen(session.id)}
              // Long titles are cut with an ellipsis; the tooltip has the whole one.
              title={session.title ?? undefined}
            >
              {session.title ?? "Untitled chat"}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
