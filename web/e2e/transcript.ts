/**
 * What the chat page shows, and what the database holds, in one comparable shape. Answers
 * are rendered Markdown, which drops the whitespace around a paragraph: their text is
 * compared without it on both sides (a plain answer otherwise reads exactly as stored).
 */
import type { Sql } from "@trainer2/db";
import type { Page } from "playwright-core";

export type Shown = { role: string; status: string; seq: string; text: string };

export const transcript = (page: Page): Promise<Shown[]> =>
  page
    .$$eval("[data-testid=message]", (nodes) =>
      nodes.map((node) => {
        const el = node as HTMLElement;
        return {
          role: el.dataset.role ?? "",
          status: el.dataset.status ?? "",
          seq: el.dataset.seq ?? "",
          text: el.querySelector(".content")?.textContent ?? "",
        };
      }),
    )
    .then((shown) => shown.map(comparable));

const comparable = (message: Shown): Shown =>
  message.role === "assistant" ? { ...message, text: message.text.trim() } : message;

export async function storedMessages(sql: Sql, sessionId: string): Promise<Shown[]> {
  const rows = await sql<{ seq: number; role: string; content: string; status: string }[]>`
    select seq, role, content, status from messages where session_id = ${sessionId} order by seq`;
  return rows.map((r) =>
    comparable({ seq: String(r.seq), role: r.role, status: r.status, text: r.content }),
  );
}
