"use client";

import { maxApprovalReasonLength } from "@trainer2/shared/wire";
import { type FormEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from "react";
import type { ApprovalCard as Card } from "@/lib/realtime/approval-state";
import { argumentLines } from "./approval-arguments";
import "./approval-card.css";

type Props = {
  card: Card;
  onDecide: (card: Card, decision: "approve" | "reject", reason?: string) => void;
};

/** Where the keyboard was when nothing in particular had it (the composer just got disabled). */
const focusIsLoose = () => {
  const active = document.activeElement;
  return !active || active === document.body || (active as HTMLTextAreaElement).disabled;
};

/**
 * A tool call the trainer paused on until the person decides: the tool's own sentence, the
 * arguments in words, Approve or Reject (with an optional reason the model reads). All of it
 * by keyboard: the card takes the focus the disabled composer let go of, the reason field
 * submits with Enter and Escape goes back.
 */
export function ApprovalCard({ card, onDecide }: Props) {
  const id = useId();
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState("");
  const approve = useRef<HTMLButtonElement>(null);
  const reject = useRef<HTMLButtonElement>(null);
  const reasonInput = useRef<HTMLInputElement>(null);
  const section = useRef<HTMLElement>(null);
  const lines = argumentLines(card.arguments);
  const sent = card.sent !== undefined;

  useEffect(() => {
    if (focusIsLoose()) approve.current?.focus();
  }, []);

  const startRejecting = () => {
    setRejecting(true);
    // After React shows the field; the card grew, so its end is brought into view too.
    requestAnimationFrame(() => {
      reasonInput.current?.focus();
      section.current?.scrollIntoView({ block: "nearest" });
    });
  };
  const back = () => {
    setRejecting(false);
    requestAnimationFrame(() => reject.current?.focus());
  };
  const submitReject = (event: FormEvent) => {
    event.preventDefault();
    onDecide(card, "reject", reason);
  };
  const onReasonKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "Escape") {
      event.preventDefault();
      back();
    }
  };

  return (
    <section
      ref={section}
      className="approval-card"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-summary`}
      data-testid="approval-card"
      data-call-id={card.callId}
    >
      <h3 id={`${id}-title`} className="approval-title">
        The trainer asks for your approval
      </h3>
      <p id={`${id}-summary`} className="approval-summary">
        {card.summary}
      </p>
      {lines.length > 0 ? (
        <dl className="approval-args" aria-label="Details">
          {lines.map((line) => (
            <div key={line.label}>
              <dt>{line.label}</dt>
              <dd>{line.value}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      {sent ? (
        <p className="muted small" role="status">
          {card.sent === "approve" ? "Approving…" : "Rejecting…"}
        </p>
      ) : rejecting ? (
        <form className="approval-actions" onSubmit={submitReject}>
          <label htmlFor={`${id}-reason`} className="small">
            Why not? (optional, the trainer reads it)
          </label>
          <input
            id={`${id}-reason`}
            ref={reasonInput}
            value={reason}
            maxLength={maxApprovalReasonLength}
            onChange={(event) => setReason(event.target.value)}
            onKeyDown={onReasonKey}
          />
          <button type="submit" className="button danger small">
            Reject
          </button>
          <button type="button" className="button ghost small" onClick={back}>
            Back
          </button>
        </form>
      ) : (
        <div className="approval-actions">
          <button
            ref={approve}
            type="button"
            className="button primary small"
            onClick={() => onDecide(card, "approve")}
          >
            Approve
          </button>
          <button ref={reject} type="button" className="button small" onClick={startRejecting}>
            Reject…
          </button>
          <span className="muted small">
            Decide by {new Date(card.expiresAt).toLocaleTimeString([], { timeStyle: "short" })}
          </span>
        </div>
      )}
    </section>
  );
}
