"use client";

import type { AccountExport } from "@trainer2/shared/account-data";
import { useState } from "react";
import { ConfirmDialog } from "./confirm-dialog";

type Props = {
  /** The account's email: what the person types to confirm a deletion. */
  email: string | null;
  download: () => Promise<AccountExport>;
  /** Resolves once deleted; rejects with the reason to show. */
  deleteAccount: (email: string) => Promise<void>;
};

/** The api's own words for "type this to confirm" when the sign-in gave no email. */
const withoutEmail = "delete my account";

/** Saves the data as a file through a link to an in-memory copy (nothing leaves the page). */
function saveAsFile(data: AccountExport) {
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `trainer2-data-${data.exportedAt.slice(0, 10)}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  // After the click has handed the file to the browser.
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

/** "Your data": download all of it, or delete the account with all of it. */
export function AccountSection({ email, download, deleteAccount }: Props) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState("");
  const expected = email ?? withoutEmail;

  const onDownload = async () => {
    setBusy(true);
    setProblem(null);
    try {
      saveAsFile(await download());
    } catch (error) {
      setProblem(error instanceof Error ? error.message : "Could not download your data.");
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="your-data">
      <h2 id="your-data">Your data</h2>
      <div className="data-actions">
        <button type="button" className="button small" disabled={busy} onClick={onDownload}>
          {busy ? "Preparing…" : "Download my data"}
        </button>
        <button
          type="button"
          className="button small danger-outline"
          onClick={() => {
            setTyped("");
            setConfirming(true);
          }}
        >
          Delete my account
        </button>
      </div>
      {problem ? (
        <p className="alert small" role="alert">
          {problem}
        </p>
      ) : null}
      <ConfirmDialog
        open={confirming}
        title="Delete your account?"
        confirmLabel="Delete my account"
        canConfirm={typed.trim().toLowerCase() === expected.toLowerCase()}
        onClose={() => setConfirming(false)}
        onConfirm={async () => {
          try {
            await deleteAccount(typed);
          } catch (error) {
            return error instanceof Error ? error.message : "Could not delete the account.";
          }
          return null;
        }}
      >
        <p>
          Your profile, workouts, chats and the record of what the trainer did for you are deleted
          for good. Download your data first if you want to keep it.
        </p>
        <label className="field">
          Type <strong>{expected}</strong> to confirm
          <input
            name="email"
            autoComplete="off"
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
          />
        </label>
      </ConfirmDialog>
    </section>
  );
}
