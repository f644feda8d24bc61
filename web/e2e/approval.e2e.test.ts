/**
 * Approval of a tool call in a real browser against the real stack (issue 17): the offline
 * model calls delete_workout for "delete my last workout", the run pauses, and the page shows
 * a card with the tool's sentence and its arguments in words. The card survives a reload (it
 * comes back from /state and the resume); Approve (by keyboard) lets the answer go on and the
 * workout is deleted; Reject (with a reason) is told to the model, which says so, and nothing
 * is deleted. No serious accessibility violation with a card shown, no CSP violation.
 * Screenshots of the card go to e2e/screenshots/ (approval-*.png).
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { ChatStack } from "@trainer2/testkit";
import type { Page } from "playwright-core";
import { browserStackForFile, seriousAxeViolations, signInWithDevLogin } from "./browser";
import { transcript as shownMessages, storedMessages } from "./transcript";

setDefaultTimeout(60_000);

const email = "drew@example.com";
const screenshots = join(import.meta.dir, "screenshots");

let stack: ChatStack;
let page: Page;

const composer = () => page.getByRole("textbox", { name: "Message" });
const card = () => page.getByTestId("approval-card");
const answers = () => page.locator("[data-testid=message][data-role=assistant]");
const sessionIdInUrl = () => new URL(page.url()).searchParams.get("session")!;

async function send(text: string) {
  await composer().fill(text);
  await composer().press("Enter");
}

/** Sends `text` and waits for its own answer to reach `status` (not the answer before it). */
async function ask(text: string, status = "complete") {
  const before = await answers().count();
  await send(text);
  const answer = answers().nth(before);
  await answer.and(page.locator(`[data-status=${status}]`)).waitFor();
  return answer;
}

async function workouts(): Promise<{ id: string; performed_on: string; duration_min: number }[]> {
  return [
    ...(await stack.api.sql<{ id: string; performed_on: string; duration_min: number }[]>`
      select w.id, w.performed_on::text, w.duration_min from workouts w
      join users u on u.id = w.user_id where u.email = ${email} order by w.created_at`),
  ];
}

/** Reloads the chat (?session= keeps it) and waits for the page to be connected again. */
async function reload() {
  await page.reload();
  await page.getByTestId("connection").getByText("Connected").waitFor();
}

browserStackForFile({ api: { devLogin: true }, agent: { offlineDelayMs: 15 } }, async (started) => {
  ({ stack, page } = started);
  await mkdir(screenshots, { recursive: true });
  await signInWithDevLogin(page, { name: "Drew Deleter", email });
});

describe("approval cards in the browser", () => {
  test("a deletion waits for the person across a reload; Approve lets the answer go on", async () => {
    await ask("log a 30 minute run");
    const [logged] = await workouts();
    expect(logged).toBeDefined();

    const paused = await ask("delete my last workout", "awaiting_approval");
    await card().waitFor();
    await expect(card().locator(".approval-summary").textContent()).resolves.toBe(
      `Delete your 30 min run of ${logged!.performed_on}.`,
    );
    // The arguments in words, not JSON.
    await expect(card().locator("dt").allTextContents()).resolves.toEqual(["Workout id"]);
    await expect(card().locator("dd").allTextContents()).resolves.toEqual([logged!.id]);
    // The composer says the trainer waits for a decision, and sends nothing meanwhile.
    await page.getByTestId("composer-waiting").waitFor();
    expect(await composer().isDisabled()).toBe(true);
    expect(await composer().getAttribute("placeholder")).toBe(
      "The trainer is waiting for your decision…",
    );
    await expect(paused.locator(".meta").textContent()).resolves.toBe("Waiting for your decision");
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(screenshots, "approval-card.png") });
    // The card's colours hold in dark mode too.
    await page.emulateMedia({ colorScheme: "dark" });
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(screenshots, "approval-card-dark.png") });
    await page.emulateMedia({ colorScheme: "light" });

    // A reload: the card comes back (from /state and the resume), the workout is still there.
    await reload();
    await card().waitFor();
    expect(await card().count()).toBe(1);
    expect(await workouts()).toHaveLength(1);
    // The keyboard lands on Approve (the disabled composer let go of it): Enter approves.
    const approve = card().getByRole("button", { name: "Approve" });
    await page.waitForFunction(() => document.activeElement?.textContent === "Approve");
    expect(await approve.evaluate((button) => button === document.activeElement)).toBe(true);
    await page.keyboard.press("Enter");

    await card().waitFor({ state: "detached" });
    const answer = answers().last();
    await answer.and(page.locator("[data-status=complete]")).waitFor();
    await expect(answer.locator(".content").textContent()).resolves.toContain(
      `Done: I deleted your 30 min run`,
    );
    expect(await answer.getByTestId("tool-line").allTextContents()).toContain(
      "Deleted the workout",
    );
    expect(await workouts()).toEqual([]);
    expect(await composer().isDisabled()).toBe(false);
    expect(await shownMessages(page)).toEqual(
      await storedMessages(stack.api.sql, sessionIdInUrl()),
    );
  });

  test("Reject after a reload, with a reason: the model says so and nothing is deleted", async () => {
    await ask("log a 20 minute run");
    expect(await workouts()).toHaveLength(1);
    await ask("delete my last workout", "awaiting_approval");
    await card().waitFor();

    await reload();
    await card().waitFor();
    await card().getByRole("button", { name: "Reject…" }).click();
    // The reason field takes the keyboard; Enter rejects.
    const reason = card().getByRole("textbox", { name: /Why not/ });
    await page.waitForFunction(() => document.activeElement?.tagName === "INPUT");
    await page.keyboard.type("I want to keep it");
    await page.screenshot({ path: join(screenshots, "approval-reject.png") });
    expect(await reason.inputValue()).toBe("I want to keep it");
    await page.keyboard.press("Enter");

    await card().waitFor({ state: "detached" });
    const answer = answers().last();
    await answer.and(page.locator("[data-status=complete]")).waitFor();
    await expect(answer.locator(".content").textContent()).resolves.toBe(
      "Okay, I did not do it: The person rejected this call, so it was not made. Their reason: I want to keep it",
    );
    expect(await workouts()).toHaveLength(1);
    const audit = await stack.api.sql<{ status: string; reason: string | null }[]>`
      select a.status, a.reason from tool_approvals a join users u on u.id = a.user_id
      where u.email = ${email} order by a.requested_at`;
    expect(audit.map((row) => [row.status, row.reason])).toEqual([
      ["approved", null],
      ["rejected", "I want to keep it"],
    ]);
    expect(await shownMessages(page)).toEqual(
      await storedMessages(stack.api.sql, sessionIdInUrl()),
    );
  });
});
