/**
 * Budgets in a real browser (Debian's Chromium) against the real api, agent, offline model
 * and database: the state panel's bar of what is left today moves with each answer; a
 * message over the day's budget is refused under itself, naming the limit and when it
 * resets, is never sent again by itself (not even after the socket drops), and Retry sends
 * it once the limit allows.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { budgetToday, setBudgetOverrides } from "@trainer2/db/queries/budgets";
import type { ChatStack } from "@trainer2/testkit";
import type { Page } from "playwright-core";
import {
  type Browser,
  browserStackForFile,
  seriousAxeViolations,
  signInWithDevLogin,
  trackSockets,
} from "./browser";

setDefaultTimeout(60_000);

const screenshots = join(import.meta.dir, "screenshots");
const dailyTokens = 100_000;
const budgets = {
  defaults: { dailyTokens, turnsPerMinute: 0, concurrentRuns: 0 },
  maxOutputTokens: 200,
  timeZone: "UTC",
  prices: new Map(),
};

let stack: ChatStack;
let browser: Browser;
let page: Page;
const email = "budget@example.com";

const composer = () => page.getByRole("textbox", { name: "Message" });
const connected = () => page.getByTestId("connection").getByText("Connected");
const budgetLeft = () => page.getByTestId("budget-left");

async function send(text: string) {
  await composer().fill(text);
  await composer().press("Enter");
}

/** "12,345 of 100,000 tokens left", as the browser words numbers. */
const leftText = (left: number, limit: number) =>
  page.evaluate(
    ([l, d]) => `${l!.toLocaleString()} of ${d!.toLocaleString()} tokens left`,
    [left, limit],
  );

async function userId(): Promise<string> {
  const [user] = await stack.api.sql<{ id: string }[]>`select id from users where email = ${email}`;
  return user!.id;
}

const usedToday = async () =>
  budgetToday(stack.api.sql, await userId(), { defaults: budgets.defaults, timeZone: "UTC" });

browserStackForFile(
  { api: { devLogin: true, budgets }, agent: { offlineDelayMs: 0 } },
  async (started) => {
    ({ stack, browser, page } = started);
    await trackSockets(browser.context);
    await mkdir(screenshots, { recursive: true });
  },
);

describe("budgets in the browser", () => {
  test("the state panel's bar shows what is left today, and moves with each answer", async () => {
    await signInWithDevLogin(page, { name: "Budget Person", email });
    await budgetLeft()
      .getByText(await leftText(dailyTokens, dailyTokens))
      .waitFor();
    expect(await page.getByRole("meter", { name: "Today's budget" }).getAttribute("value")).toBe(
      String(dailyTokens),
    );

    await send("hello");
    const answer = page.locator("[data-testid=message][data-role=assistant]").last();
    await answer.and(page.locator("[data-status=complete]")).waitFor();
    const today = await usedToday();
    const used = today.inputTokens + today.outputTokens;
    expect(used).toBeGreaterThan(0);
    await budgetLeft()
      .getByText(await leftText(dailyTokens - used, dailyTokens))
      .waitFor();
  });

  test("over the day's budget: refused under the message, with the limit and its reset; never re-sent", async () => {
    const { inputTokens, outputTokens } = await usedToday();
    const used = inputTokens + outputTokens;
    // Room for less than a whole answer (200 tokens) more.
    const limit = used + 50;
    await setBudgetOverrides(stack.api.sql, await userId(), { dailyTokens: limit });
    const runsBefore = await storedUserMessages();
    await send("one more question");
    const refused = page
      .locator("[data-testid=message][data-role=user]")
      .last()
      .and(page.locator("[data-status=failed]"));
    const reason = refused.getByRole("alert");
    await reason.waitFor();
    const text = (await reason.textContent()) ?? "";
    expect(text).toContain("Not sent: today's token budget is used up. It resets at ");
    // The next UTC midnight (the api's day), in the browser's own time.
    const now = new Date();
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    const shown = await page.evaluate(
      (at) => new Date(at).toLocaleString(undefined, { hour: "2-digit", minute: "2-digit" }),
      midnight,
    );
    expect(text).toContain(shown);
    expect(text).toMatch(/\(in \d+ (h|min|s)/);
    // The panel shows the new limit and what is left of it.
    await budgetLeft()
      .getByText(await leftText(50, limit))
      .waitFor();
    await page.screenshot({ path: join(screenshots, "budget-refused.png") });
    // The bar and the refusal line are read by assistive technology like the rest.
    expect(await seriousAxeViolations(page)).toEqual([]);

    // No retry loop: with room again, a dropped socket reconnects and sends nothing by
    // itself (a re-sent refusal would now be stored); Retry sends it, once.
    await setBudgetOverrides(stack.api.sql, await userId(), { dailyTokens: null });
    await page.evaluate(() => {
      for (const socket of (window as unknown as { __sockets: WebSocket[] }).__sockets)
        if (socket.readyState === WebSocket.OPEN) socket.close();
    });
    await page.getByTestId("connection").getByText("Reconnecting…").waitFor();
    await connected().waitFor();
    await refused.getByRole("button", { name: "Retry" }).click();
    const answered = page.locator("[data-testid=message][data-role=assistant]").last();
    await page.locator("[data-testid=message]").nth(3).waitFor();
    await answered.and(page.locator("[data-status=complete]")).waitFor();
    const asked = await storedUserMessages();
    expect(asked.slice(0, runsBefore.length)).toEqual(runsBefore);
    expect(asked.slice(runsBefore.length)).toEqual(["one more question"]);
    expect(await page.locator("[data-status=failed]").count()).toBe(0);
  });
});

async function storedUserMessages(): Promise<string[]> {
  const rows = await stack.api.sql<{ content: string }[]>`
    select content from messages where user_id = ${await userId()} and role = 'user'
    order by created_at, seq`;
  return rows.map((row) => row.content);
}
