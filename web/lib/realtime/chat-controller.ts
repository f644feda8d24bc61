/**
 * Everything the chat page does, without React: the socket, the transcript, the state
 * panel's data, and the user's actions. The page subscribes to snapshots.
 */
import type { AccountExport } from "@trainer2/shared/account-data";
import type { ApprovalDecision, ServerEvent, State } from "@trainer2/shared/wire";
import * as account from "../api/account";
import { ApiError } from "../api/request";
import { fetchState, type GetToken, StateError } from "../api/state";
import { type ApprovalCard, markSent, waitingForDecision } from "./approval-state";
import {
  addOutgoing,
  applyEvent,
  type ChatItem,
  type ChatView,
  dropRefused,
  emptyChat,
  loadSession,
  resumeAfterSeq,
} from "./chat-state";
import { type ConnectionStatus, RealtimeClient, realtimeUrl } from "./client";
import { applyRefusal, type Notice } from "./refusals";
import { regenerable } from "./transcript-view";

export type { Notice } from "./refusals";

export type ChatSnapshot = {
  view: ChatView;
  /** Profile, workouts, sessions, user; null until the first load. */
  state: State | null;
  status: ConnectionStatus;
  retryInMs: number | null;
  loading: boolean;
  notice: Notice | null;
};

/** How often streamed words are painted at most: about one frame. */
const deltaFrameMs = 16;

export type ChatControllerOptions = {
  apiUrl: string;
  getToken: GetToken;
  initialSessionId: string | null;
  onSessionChange?: (sessionId: string | null) => void;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
  newId?: () => string;
};

export class ChatController {
  private snapshot: ChatSnapshot;
  private readonly listeners = new Set<() => void>();
  /** A paint of words that arrived since the last one, when one is due. */
  private pending: ReturnType<typeof setTimeout> | undefined;
  private resumeRetry: ReturnType<typeof setTimeout> | undefined;
  private readonly client: RealtimeClient;
  /** Bumped on every session switch so a slow load cannot overwrite a newer choice. */
  private generation = 0;

  constructor(private readonly options: ChatControllerOptions) {
    this.snapshot = {
      view: emptyChat(options.initialSessionId),
      state: null,
      status: "connecting",
      retryInMs: null,
      loading: true,
      notice: null,
    };
    this.client = new RealtimeClient({
      url: realtimeUrl(options.apiUrl),
      getToken: options.getToken,
      WebSocket: options.WebSocket,
      onEvent: (event) => this.onEvent(event),
      onStatus: (status, detail) => this.set({ status, retryInMs: detail.retryInMs ?? null }),
      resumePoint: () => {
        const { sessionId } = this.snapshot.view;
        return sessionId ? { sessionId, afterSeq: resumeAfterSeq(this.snapshot.view) } : null;
      },
    });
  }

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = () => this.snapshot;

  start() {
    this.client.start();
    void this.load(this.snapshot.view.sessionId, this.generation);
  }

  stop() {
    this.client.stop();
    if (this.pending !== undefined) clearTimeout(this.pending);
    this.pending = undefined;
    clearTimeout(this.resumeRetry);
  }

  send(text: string) {
    const trimmed = text.trim();
    const { view } = this.snapshot;
    // While the trainer waits for a decision the api would refuse it (busy): decide first.
    if (!trimmed || view.activeRun || waitingForDecision(view)) return false;
    const clientMsgId = this.options.newId?.() ?? crypto.randomUUID();
    const { sessionId } = this.snapshot.view;
    this.setView(addOutgoing(this.snapshot.view, clientMsgId, trimmed));
    this.client.sendChat({ ...(sessionId ? { sessionId } : {}), text: trimmed, clientMsgId });
    return true;
  }

  /** Stop the answer being written. */
  cancel() {
    const run = this.snapshot.view.activeRun;
    if (!run) return;
    if (!this.client.cancel(run.runId))
      this.set({
        notice: { code: "offline", message: "Not connected: the answer cannot be stopped yet." },
      });
  }

  /** The person's decision on a card; sent (or queued until connected) until the api answers. */
  decide(card: ApprovalCard, decision: ApprovalDecision, reason?: string) {
    const call = { runId: card.runId, callId: card.callId };
    // Once per card, as it is now (a second click, or a card decided meanwhile, sends nothing).
    const current = this.snapshot.view.approvals.find(
      (shown) => shown.runId === call.runId && shown.callId === call.callId,
    );
    if (!current || current.sent) return;
    this.setView(markSent(this.snapshot.view, call, decision));
    const why = decision === "reject" ? reason?.trim() : undefined;
    this.client.sendApproval({ ...call, decision, ...(why ? { reason: why } : {}) });
  }

  /** The last answer again (a new run for the last question); false when none can be. */
  regenerate() {
    // The page's own rule for when the button shows: the same answer, the same conditions.
    const { sessionId } = this.snapshot.view;
    if (!sessionId || !regenerable(this.snapshot.view)) return false;
    const clientMsgId = this.options.newId?.() ?? crypto.randomUUID();
    this.client.sendRegenerate({ sessionId, clientMsgId });
    return true;
  }

  /** True once renamed; a refusal is shown as a notice. */
  async renameSession(sessionId: string, title: string) {
    return this.act(async () => {
      await account.renameSession(this.api, sessionId, title);
      await this.refreshPanel();
    });
  }

  /** True once deleted (the chat shown was that one: a new chat opens); else a notice says why. */
  async deleteSession(sessionId: string) {
    return this.act(async () => {
      await account.deleteSession(this.api, sessionId);
      if (this.snapshot.view.sessionId === sessionId) this.switchTo(null);
      await this.refreshPanel();
    });
  }

  /** Everything the api holds about the person, checked against the file's schema. */
  downloadData(): Promise<AccountExport> {
    return account.exportAccount(this.api);
  }

  /**
   * Deletes the account; the socket closes for good (the api closes it, 4410, everywhere).
   * This tab says so itself, as every other tab hears it from its socket: the page signs out
   * on that status, once, whichever came first.
   */
  async deleteAccount(email: string): Promise<void> {
    await account.deleteAccount(this.api, email);
    this.client.stop();
    this.set({ status: "account-deleted", retryInMs: null });
  }

  /** Ask again after a failed answer: re-sends the user's message that led to it. */
  retry(failed: ChatItem) {
    if (failed.role === "user") {
      // A message the api refused (never stored): sent again as a new one.
      this.setView(dropRefused(this.snapshot.view, failed.key));
      this.send(failed.content);
      return;
    }
    const items = this.snapshot.view.items;
    const index = items.indexOf(failed);
    const question = items.slice(0, index).findLast((i) => i.role === "user");
    if (question) this.send(question.content);
  }

  newChat() {
    this.switchTo(null);
  }

  openSession(sessionId: string) {
    if (sessionId !== this.snapshot.view.sessionId) this.switchTo(sessionId);
  }

  reconnectNow() {
    this.client.reconnectNow();
  }

  dismissNotice() {
    this.set({ notice: null });
  }

  private get api() {
    return {
      apiUrl: this.options.apiUrl,
      getToken: this.options.getToken,
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
    };
  }

  /** Runs an action of the person's; its refusal (busy, not found, offline) becomes a notice. */
  private async act(action: () => Promise<void>): Promise<boolean> {
    try {
      await action();
      // What an earlier try was refused for no longer holds.
      this.set({ notice: null });
      return true;
    } catch (error) {
      const notice =
        error instanceof ApiError
          ? { code: error.code, message: error.message }
          : { code: "network", message: "Could not reach the server. Try again in a moment." };
      this.set({ notice });
      return false;
    }
  }

  private switchTo(sessionId: string | null) {
    this.generation += 1;
    this.setView(emptyChat(sessionId));
    if (sessionId) {
      this.set({ loading: true });
      void this.load(sessionId, this.generation);
    }
  }

  private async load(sessionId: string | null, generation: number) {
    try {
      const state = await fetchState(
        this.options.apiUrl,
        sessionId,
        this.options.getToken,
        this.options.fetch,
      );
      if (generation !== this.generation) return;
      this.set({ state, loading: false });
      this.setView(loadSession(this.snapshot.view, state.session));
      const followed = this.snapshot.view.sessionId;
      // The socket follows the user's latest session by itself; any other must be asked for.
      if (followed) this.client.follow(followed, resumeAfterSeq(this.snapshot.view));
    } catch (error) {
      if (generation !== this.generation) return;
      const notice =
        error instanceof StateError
          ? { code: error.code, message: error.message }
          : { code: "network", message: "Could not reach the server to load your chat." };
      if (error instanceof StateError && error.code === "not_found") this.setView(emptyChat(null));
      this.set({ loading: false, notice });
    }
  }

  /** Refresh the panel and the session list (titles, order) without touching the transcript. */
  private async refreshPanel() {
    try {
      const state = await fetchState(
        this.options.apiUrl,
        this.snapshot.view.sessionId,
        this.options.getToken,
        this.options.fetch,
      );
      this.set({ state });
    } catch {
      // The next state event or reload brings it; not worth a notice.
    }
  }

  private onEvent(event: ServerEvent) {
    switch (event.type) {
      case "state":
        this.set({
          state: {
            ...event.state,
            offlineModel: event.state.offlineModel ?? this.snapshot.state?.offlineModel,
          },
        });
        return;
      case "error": {
        const { view, notice, refreshPanel } = applyRefusal(this.snapshot.view, event);
        this.setView(view);
        if (notice) this.set({ notice });
        if (refreshPanel) void this.refreshPanel();
        if (event.code === "rate_limited" && event.sessionId)
          this.resumeLater(event.sessionId, event.retryAfterS ?? 1);
        return;
      }
      case "ready":
      case "pong":
        return;
      case "delta":
        // Painted once a frame: a burst of words (a resume's replay, a fast model) is one render
        // of the answer instead of one per word, each re-parsing its Markdown.
        this.snapshot = { ...this.snapshot, view: applyEvent(this.snapshot.view, event) };
        this.pending ??= setTimeout(() => this.notify(), deltaFrameMs);
        return;
      default: {
        const before = this.snapshot.view;
        this.setView(applyEvent(before, event));
        if (event.type === "run.completed" || event.type === "run.failed") void this.refreshPanel();
      }
    }
  }

  /** A resume the api refused for now is sent again once it allows: never left stale. */
  private resumeLater(sessionId: string, seconds: number) {
    clearTimeout(this.resumeRetry);
    this.resumeRetry = setTimeout(() => {
      const { view } = this.snapshot;
      if (view.sessionId === sessionId) this.client.follow(sessionId, resumeAfterSeq(view));
    }, seconds * 1000);
  }

  private setView(view: ChatView) {
    const previous = this.snapshot.view.sessionId;
    this.set({ view });
    if (view.sessionId !== previous) this.options.onSessionChange?.(view.sessionId);
  }

  private set(patch: Partial<ChatSnapshot>) {
    this.snapshot = { ...this.snapshot, ...patch };
    this.notify();
  }

  /** Tells the page the snapshot moved (now, with any words waiting for their frame). */
  private notify() {
    if (this.pending !== undefined) clearTimeout(this.pending);
    this.pending = undefined;
    for (const listener of this.listeners) listener();
  }
}
