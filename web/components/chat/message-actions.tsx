"use client";

import { useEffect, useState } from "react";

type Props = {
  /** What Copy puts on the clipboard: the message as written (an answer's Markdown). */
  text: string;
  /** Shown on the chat's last answer once it ended. */
  onRegenerate?: () => void;
};

/** Copy (every message) and Regenerate (the last answer), under the message. */
export function MessageActions({ text, onRegenerate }: Props) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);

  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(null), 2000);
    return () => clearTimeout(timer);
  }, [copied]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied("yes");
    } catch {
      // No clipboard permission (or an old browser): say so rather than pretend.
      setCopied("failed");
    }
  };

  return (
    <div className="message-actions">
      {text ? (
        <button type="button" className="button ghost small" onClick={() => void copy()}>
          Copy
        </button>
      ) : null}
      {onRegenerate ? (
        <button type="button" className="button ghost small" onClick={onRegenerate}>
          Regenerate
        </button>
      ) : null}
      <span className="muted small" role="status" aria-live="polite">
        {copied === "yes" ? "Copied" : copied === "failed" ? "Could not copy" : ""}
      </span>
    </div>
  );
}
