import type { ConnectionStatus } from "@/lib/realtime/client";

type Props = { status: ConnectionStatus; retryInMs: number | null; onReconnect: () => void };

const labels: Record<ConnectionStatus, string> = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  "signed-out": "Signed out",
};

export function ConnectionBadge({ status, retryInMs, onReconnect }: Props) {
  return (
    <span
      className={`badge badge-${status}`}
      role="status"
      aria-live="polite"
      data-testid="connection"
    >
      <span className="dot" aria-hidden="true" />
      {labels[status]}
      {status === "reconnecting" && retryInMs !== null && retryInMs > 1000 ? (
        <button type="button" className="link" onClick={onReconnect}>
          Retry now
        </button>
      ) : null}
      {status === "signed-out" ? (
        <a className="link" href="/signin">
          Sign in again
        </a>
      ) : null}
    </span>
  );
}
