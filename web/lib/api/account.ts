/**
 * A person's chats and account from the browser: rename and delete a chat, download their
 * data as one JSON file (validated against its shared schema), delete the account.
 */
import { type AccountExport, accountExportDto } from "@trainer2/shared/account-data";
import { type ApiCall, ApiError, apiFetch } from "./request";

export function renameSession(call: ApiCall, sessionId: string, title: string) {
  return apiFetch(call, `/sessions/${sessionId}`, {
    method: "PATCH",
    body: JSON.stringify({ title }),
  });
}

export function deleteSession(call: ApiCall, sessionId: string) {
  return apiFetch(call, `/sessions/${sessionId}`, { method: "DELETE" });
}

/** The person's data, checked against the file's contract before it is offered to them. */
export async function exportAccount(call: ApiCall): Promise<AccountExport> {
  const response = await apiFetch(call, "/account/export");
  const parsed = accountExportDto.safeParse(await response.json().catch(() => null));
  if (!parsed.success)
    throw new ApiError("The server answered in an unexpected shape.", 502, "internal");
  return parsed.data;
}

export function deleteAccount(call: ApiCall, email: string) {
  return apiFetch(call, "/account", { method: "DELETE", body: JSON.stringify({ email }) });
}
