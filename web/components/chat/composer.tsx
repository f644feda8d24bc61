"use client";

import { maxChatTextLength } from "@trainer2/shared/wire";
import {
  type FormEvent,
  type KeyboardEvent,
  type RefObject,
  useEffect,
  useRef,
  useState,
} from "react";

type Props = {
  streaming: boolean;
  /** The trainer waits for the person's decision on a card: nothing is sent until then. */
  waiting?: boolean;
  connected: boolean;
  onSend: (text: string) => boolean;
  onStop: () => void;
  /** Lets the page put the cursor here (after "New chat"). */
  inputRef?: RefObject<HTMLTextAreaElement | null>;
  /** Offered while disconnected: try to reconnect at once instead of after the backoff. */
  onReconnect?: () => void;
  /** The sign-in expired: nothing can be sent until the person signs in again. */
  signedOut?: boolean;
};

/** The draft outlives a reload and the round trip to sign in again (this tab only). */
const draftKey = "trainer2.draft";

/** The counter appears this close to the limit: earlier it is noise. */
const counterFrom = maxChatTextLength - 500;

export function Composer({
  streaming,
  waiting = false,
  connected,
  onSend,
  onStop,
  inputRef,
  onReconnect,
  signedOut = false,
}: Props) {
  const [text, setText] = useState("");
  const ownInput = useRef<HTMLTextAreaElement>(null);
  const input = inputRef ?? ownInput;
  const stop = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    // Back to the keyboard as soon as the answer is done.
    if (!streaming) input.current?.focus();
    // Disabling the box drops its focus to the page; hand it to Stop instead, so a keyboard
    // user is not sent back to the top and can stop the answer with Enter.
    else if ([input.current, document.body, null].includes(document.activeElement as never))
      stop.current?.focus();
  }, [streaming, input]);

  useEffect(() => {
    const kept = window.sessionStorage.getItem(draftKey);
    if (kept) setText(kept);
  }, []);

  const edit = (next: string) => {
    setText(next);
    if (next) window.sessionStorage.setItem(draftKey, next);
    else window.sessionStorage.removeItem(draftKey);
  };

  const submit = () => {
    if (streaming || waiting || !text.trim()) return;
    if (onSend(text)) edit("");
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter sends, Shift+Enter breaks the line; never while an IME is composing.
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    submit();
  };

  const hints = [
    waiting ? "composer-waiting" : null,
    connected || signedOut ? null : "composer-offline",
    signedOut ? "composer-signed-out" : null,
    text.length >= counterFrom ? "composer-count" : null,
  ].filter(Boolean);

  return (
    <form className="composer" onSubmit={onSubmit}>
      <label className="visually-hidden" htmlFor="composer-input">
        Message
      </label>
      <textarea
        id="composer-input"
        ref={input}
        value={text}
        onChange={(event) => edit(event.target.value)}
        onKeyDown={onKeyDown}
        disabled={streaming || waiting}
        maxLength={maxChatTextLength}
        rows={2}
        placeholder={
          streaming
            ? "The trainer is answering…"
            : waiting
              ? "The trainer is waiting for your decision…"
              : "Message your trainer"
        }
        title="Enter sends, Shift+Enter starts a new line"
        aria-describedby={hints.length ? hints.join(" ") : undefined}
      />
      {streaming ? (
        <button ref={stop} type="button" className="button danger" onClick={onStop}>
          Stop
        </button>
      ) : (
        <button type="submit" className="button primary" disabled={waiting || !text.trim()}>
          Send
        </button>
      )}
      {text.length >= counterFrom ? (
        <p
          id="composer-count"
          className={`small composer-hint ${text.length >= maxChatTextLength ? "over" : "muted"}`}
          data-testid="composer-count"
        >
          {text.length.toLocaleString("en")} / {maxChatTextLength.toLocaleString("en")} characters
          {text.length >= maxChatTextLength ? " (the most one message can hold)" : ""}
        </p>
      ) : null}
      {waiting ? (
        <p
          id="composer-waiting"
          className="muted small composer-hint"
          data-testid="composer-waiting"
        >
          The trainer is waiting for your decision on the card above. Your draft is kept.
        </p>
      ) : null}
      {connected || signedOut ? null : (
        <p id="composer-offline" className="muted small composer-hint">
          Not connected: messages are sent once the connection is back.
          {onReconnect ? (
            <button type="button" className="link" onClick={onReconnect}>
              Retry now
            </button>
          ) : null}
        </p>
      )}
      {signedOut ? (
        <p id="composer-signed-out" className="muted small composer-hint">
          Signed out: sign in again to send. Your draft is kept.
        </p>
      ) : null}
    </form>
  );
}
