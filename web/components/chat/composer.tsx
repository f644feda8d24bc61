"use client";

import { maxChatTextLength } from "@trainer2/shared/wire";
import { type FormEvent, type KeyboardEvent, useEffect, useRef, useState } from "react";

type Props = {
  streaming: boolean;
  connected: boolean;
  onSend: (text: string) => boolean;
  onStop: () => void;
};

export function Composer({ streaming, connected, onSend, onStop }: Props) {
  const [text, setText] = useState("");
  const input = useRef<HTMLTextAreaElement>(null);

  // Back to the keyboard as soon as the answer is done.
  useEffect(() => {
    if (!streaming) input.current?.focus();
  }, [streaming]);

  const submit = () => {
    if (streaming || !text.trim()) return;
    if (onSend(text)) setText("");
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

  return (
    <form className="composer" onSubmit={onSubmit}>
      <label className="visually-hidden" htmlFor="composer-input">
        Message
      </label>
      <textarea
        id="composer-input"
        ref={input}
        value={text}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
        disabled={streaming}
        maxLength={maxChatTextLength}
        rows={2}
        placeholder={streaming ? "The trainer is answering…" : "Message your trainer"}
        title="Enter sends, Shift+Enter starts a new line"
        aria-describedby={connected ? undefined : "composer-offline"}
      />
      {streaming ? (
        <button type="button" className="button danger" onClick={onStop}>
          Stop
        </button>
      ) : (
        <button type="submit" className="button primary" disabled={!text.trim()}>
          Send
        </button>
      )}
      {connected ? null : (
        <p id="composer-offline" className="muted small offline-hint">
          Not connected: messages are sent once the connection is back.
        </p>
      )}
    </form>
  );
}
