"use client";

import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from "react";

type Props = {
  open: boolean;
  title: string;
  children: ReactNode;
  /** The button that does it, e.g. "Delete chat". */
  confirmLabel: string;
  /** Resolves with an error sentence to show, or null once done (the dialog then closes). */
  onConfirm: (form: FormData) => Promise<string | null>;
  onClose: () => void;
  /** Disables the confirm button until the form's inputs say yes (e.g. a typed email). */
  canConfirm?: boolean;
};

/**
 * A destructive action asks once, in the browser's own modal dialog (focus kept inside,
 * Escape cancels, the page behind is inert), never by window.confirm.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  onConfirm,
  onClose,
  canConfirm = true,
}: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const el = dialog.current;
    if (!el) return;
    if (open && !el.open) {
      setError(null);
      el.showModal();
    }
    if (!open && el.open) el.close();
  }, [open]);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    const problem = await onConfirm(new FormData(event.currentTarget)).finally(() =>
      setBusy(false),
    );
    if (problem) setError(problem);
    else onClose();
  };

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby={titleId} onClose={onClose}>
      <form onSubmit={(event) => void submit(event)}>
        <h2 id={titleId}>{title}</h2>
        {children}
        {error ? (
          <p className="alert" role="alert">
            {error}
          </p>
        ) : null}
        <div className="dialog-buttons">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button danger" disabled={busy || !canConfirm}>
            {confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
