/** What the chat page shows, and what the database holds, in one comparable shape. */
import type { Sql } from "@trainer2/db";
import type { Page } from "playwright-core";

export type Shown = { role: string; status: string; seq: string; text: string };

export const transcript = (page: Page): Promise<Shown[]> =>
  page.$$eval("[data-testid=message]", (nodes) =>
    nodes.map((node) => {
      const el = node as HTMLElement;
      return {
        role: el.dataset.role ?? "",
        status: el.dataset.status ?? "",
        seq: el.dataset.seq ?? "",
        text: el.querySelector(".content")?.textContent ?? "",
      };
    }),
  );

export async function storedMessages(sql: Sql, sessionId: string): Promise<Shown[]> {
  const rows = await sql<{ seq: number; role: string; content: string; status: string }[]>`
    select seq, role, content, status from messages where session_id = ${sessionId} order by seq`;
  return rows.map((r) => ({ seq: String(r.seq), role: r.role, status: r.status, text: r.content }));
}
