"use client";

// First: before any schema of the wire contracts is made (see the module).
import "@/lib/zod-without-eval";
import { failures } from "@trainer2/shared/failures";
import { getSession, signOut, useSession } from "next-auth/react";
import {
  type ComponentProps,
  useCallback,
  useEffect,
  useRef,
  useState,
  useSyncExternalStore,
} from "react";
import { waitingForDecision } from "@/lib/realtime/approval-state";
import { ChatController } from "@/lib/realtime/chat-controller";
import type { ChatItem } from "@/lib/realtime/chat-state";
import { regenerable } from "@/lib/realtime/transcript-view";
import type { Theme } from "@/lib/theme";
import { Composer } from "./composer";
import { ConnectionBadge } from "./connection-badge";
import { SessionList } from "./session-list";
import { signInAgainHref } from "./sign-in-again";
import { StatePanel } from "./state-panel";
import { ThemeToggle } from "./theme-toggle";
import { Transcript } from "./transcript";
import "./chat.css";

type Props = {
  apiUrl: string;
  initialSessionId: string | null;
  userName: string;
  /** The theme the person chose (cookie), or null to follow the system. */
  theme: Theme | null;
};

/** Keeps ?session= in the address bar so a reload reopens the same chat. */
function rememberSession(sessionId: string | null) {
  const url = new URL(window.location.href);
  if (sessionId) url.searchParams.set("session", sessionId);
  else url.searchParams.delete("session");
  window.history.replaceState(window.history.state, "", url);
}

export function ChatApp({ apiUrl, initialSessionId, userName, theme }: Props) {
  const { update } = useSession();
  const updateRef = useRef(update);
  updateRef.current = update;

  const [controller] = useState(
    () =>
      new ChatController({
        apiUrl,
        initialSessionId,
        onSessionChange: rememberSession,
        getToken: async ({ fresh }) => {
          // Both paths go through /api/auth/session, the one place a renewed token is saved.
          // update() answers nothing while another update is under way: then read the session
          // (which that update renews), rather than taking "nothing" for signed out.
          const session = fresh
            ? ((await updateRef.current({ refresh: true })) ?? (await getSession()))
            : await getSession();
          // The provider is down: try again later, as after a dropped socket; not a sign-out.
          if (session?.error === "RefreshUnavailable")
            throw new Error("sign-in provider unavailable");
          if (!session?.idToken || session.error) return null;
          return session.idToken;
        },
      }),
  );
  const snapshot = useSyncExternalStore(
    controller.subscribe,
    controller.getSnapshot,
    controller.getSnapshot,
  );

  useEffect(() => {
    controller.start();
    const online = () => controller.reconnectNow();
    window.addEventListener("online", online);
    return () => {
      window.removeEventListener("online", online);
      controller.stop();
    };
  }, [controller]);

  const onRetry = useCallback((item: ChatItem) => controller.retry(item), [controller]);
  const onRegenerate = useCallback(() => controller.regenerate(), [controller]);
  const onDecide = useCallback<ComponentProps<typeof Transcript>["onDecide"]>(
    (card, decision, reason) => controller.decide(card, decision, reason),
    [controller],
  );
  const input = useRef<HTMLTextAreaElement>(null);
  // Phone widths show the profile on demand (the toggle is hidden on wide screens).
  const [panelOpen, setPanelOpen] = useState(false);
  const { view, state, status, retryInMs, loading, notice } = snapshot;
  const streaming = view.activeRun !== null;
  const waiting = waitingForDecision(view);
  const signedOut = status === "signed-out";

  // The account deleted (here, or from another tab or device): signed out, on the sign-in
  // page, which says so, rather than signed back in. The status changes once.
  const signingOut = useRef(false);
  useEffect(() => {
    if (status !== "account-deleted" || signingOut.current) return;
    signingOut.current = true;
    void signOut({ callbackUrl: "/signin?deleted=1" });
  }, [status]);

  return (
    <div className={panelOpen ? "app panel-open" : "app"}>
      <header className="topbar">
        <span className="brand">trainer2</span>
        <ConnectionBadge status={status} />
        <span className="spacer" />
        <button
          type="button"
          className="button ghost panel-toggle"
          aria-expanded={panelOpen}
          aria-controls="state-panel"
          onClick={() => setPanelOpen((open) => !open)}
        >
          Profile
        </button>
        <ThemeToggle initial={theme} />
        <span className="who" title={state?.user.email ?? undefined}>
          {state?.user.name ?? userName}
        </span>
        <button
          type="button"
          className="button ghost"
          onClick={() => {
            // The socket closes now, not whenever the page happens to unload.
            controller.stop();
            void signOut({ callbackUrl: "/signin" });
          }}
        >
          Sign out
        </button>
      </header>
      {state?.offlineModel ? (
        <div className="banner" role="status">
          The trainer is running on the offline dev model: answers are canned, not from a real AI
          model.
        </div>
      ) : null}
      <div className="workspace">
        <SessionList
          sessions={state?.sessions ?? []}
          currentId={view.sessionId}
          disabled={streaming}
          onNew={() => {
            controller.newChat();
            // A new chat is for typing: put the cursor there.
            input.current?.focus();
          }}
          onOpen={(id) => controller.openSession(id)}
          onRename={(id, title) => controller.renameSession(id, title)}
          onDelete={(id) => controller.deleteSession(id)}
        />
        <main className="chat" aria-label="Chat">
          <Transcript
            sessionId={view.sessionId}
            items={view.items}
            loading={loading}
            streaming={streaming}
            onRetry={onRetry}
            regenerable={regenerable(view)}
            onRegenerate={onRegenerate}
            approvals={view.approvals}
            onDecide={onDecide}
          />
          {signedOut ? (
            <div className="alert notice" role="alert" data-testid="signed-out">
              <span>Your sign-in has expired. Your chats are kept.</span>
              <a className="button primary small" href={signInAgainHref()}>
                Sign in again
              </a>
            </div>
          ) : null}
          {status === "too-many-connections" ? (
            <div className="alert notice" role="alert" data-testid="too-many-connections">
              <span>{failures.too_many_connections.message}</span>
            </div>
          ) : null}
          {notice ? (
            <div className="alert notice" role="alert">
              <span>{notice.message}</span>
              <button
                type="button"
                className="button ghost small"
                onClick={() => controller.dismissNotice()}
              >
                Dismiss
              </button>
            </div>
          ) : null}
          <Composer
            streaming={streaming}
            waiting={waiting}
            connected={status === "connected"}
            // Signed out, a message could not be delivered: it stays in the box (kept as a draft).
            onSend={(text) => !signedOut && controller.send(text)}
            signedOut={signedOut}
            onStop={() => controller.cancel()}
            inputRef={input}
            onReconnect={
              // Worth offering only when the next automatic try is a while away.
              status === "reconnecting" && retryInMs !== null && retryInMs > 1000
                ? () => controller.reconnectNow()
                : undefined
            }
          />
        </main>
        <StatePanel
          state={state}
          loading={loading && !state}
          account={{
            download: () => controller.downloadData(),
            deleteAccount: (email) => controller.deleteAccount(email),
          }}
        />
      </div>
    </div>
  );
}
