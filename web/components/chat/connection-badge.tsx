import type { ConnectionStatus } from "@/lib/realtime/client";
import { signInAgainHref } from "./sign-in-again";

/** Status only: its one-line width keeps the top bar from jumping (Retry now sits in the composer). */
type Props = { status: ConnectionStatus };

const labels: Record<ConnectionStatus, string> = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  "signed-out": "Signed out",
  "account-deleted": "Account deleted",
  "too-many-connections": "Too many tabs",
};

export function ConnectionBadge({ status }: Props) {
  return (
    <span
      className={`badge badge-${status}`}
      role="status"
      aria-live="polite"
      data-testid="connection"
    >
      <span className="dot" aria-hidden="true" />
      {labels[status]}
      {status === "signed-out" ? (
        <a className="link" href={signInAgainHref()}>
          Sign in again
        </a>
      ) : null}
    </span>
  );
}
