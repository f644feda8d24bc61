/**
 * The chat in a real browser (Debian's Chromium) against the real api, agent, offline model
 * and database: sign in, stream a reply that changes the profile, reload, Stop, survive a
 * dropped socket, sign out. Screenshots land in e2e/screenshots/ (git-ignored).
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { maxChatTextLength } from "@trainer2/shared/wire";
import { type ChatStack, webOrigin } from "@trainer2/testkit";
import { decodeJwt } from "jose";
import type { Page } from "playwright-core";
import { type Browser, browserStackForFile, signInWithDevLogin, trackSockets } from "./browser";
import { transcript as shownMessages, storedMessages } from "./transcript";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

const screenshots = join(import.meta.dir, "screenshots");

let stack: ChatStack;
let browser: Browser;
let page: Page;

const transcript = () => shownMessages(page);

const sessionIdInUrl = () => new URL(page.url()).searchParams.get("session");

const stored = (sessionId: string) => storedMessages(stack.api.sql, sessionId);

const lastAssistant = () => page.locator("[data-testid=message][data-role=assistant]").last();
const composer = () => page.getByRole("textbox", { name: "Message" });
const connected = () => page.getByTestId("connection").getByText("Connected");

/** Approves the call the trainer paused on (a goal it would overwrite), once its card shows. */
async function approveCard() {
  const card = page.getByTestId("approval-card");
  await card.getByRole("button", { name: "Approve" }).click();
  await card.waitFor({ state: "detached" });
}
/** The transcript shows its newest message (its own scroll box is at the end). */
const transcriptAtEnd = () =>
  page.$eval(".transcript", (el) => el.scrollHeight - el.scrollTop - el.clientHeight <= 2);
const focusedText = () => page.evaluate(() => document.activeElement?.textContent ?? "");

/** The offline model's held answers (the agent runs in this process). */
const holds = () => stack.agent.model.offlineHolds!;

async function send(text: string) {
  await composer().fill(text);
  await composer().press("Enter");
}

browserStackForFile({ api: { devLogin: true }, agent: { offlineDelayMs: 20 } }, async (started) => {
  ({ stack, browser, page } = started);
  // Keeps a handle on every socket the page opens, so a test can drop one like a network would.
  await trackSockets(browser.context);
  await mkdir(screenshots, { recursive: true });
});

describe("chat in the browser", () => {
  test("an unauthenticated visit goes to sign-in; dev login signs in", async () => {
    await signInWithDevLogin(page, { name: "Casey Runner", email: "Casey@Example.com" });
    await page.getByText("Say hello to your trainer").waitFor();
    expect(await page.locator(".who").textContent()).toBe("Casey Runner");
    // A local icon: without one every page load logged a 404 for /favicon.ico.
    const icon = await page.locator("link[rel=icon]").first().getAttribute("href");
    expect(await page.evaluate(async (href) => (await fetch(href)).status, icon!)).toBe(200);
  });

  test("the session renews its id_token on demand (what the page does after close 4401)", async () => {
    const tokens = await page.evaluate(async () => {
      const read = async (init?: RequestInit) =>
        ((await (await fetch("/api/auth/session", init)).json()) as { idToken?: string }).idToken;
      const before = await read();
      // iat has one-second resolution: make sure the renewed token differs.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const { csrfToken } = (await (await fetch("/api/auth/csrf")).json()) as { csrfToken: string };
      const after = await read({
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ csrfToken, data: { refresh: true } }),
      });
      return { before, after, again: await read() };
    });
    const before = decodeJwt(tokens.before!);
    const after = decodeJwt(tokens.after!);
    expect(before.sub).toBe("dev:casey@example.com");
    expect(after.sub).toBe(before.sub);
    expect(after.iat!).toBeGreaterThan(before.iat!);
    // Saved in the session cookie, not only returned once.
    expect(tokens.again).toBe(tokens.after);
  });

  test("the reply streams in and the goal appears in the state panel", async () => {
    await send("my goal is to run a 5k");
    // The message shows at once, the composer waits for the answer.
    await page
      .locator("[data-testid=message][data-role=user]")
      .getByText("my goal is to run a 5k")
      .waitFor();
    await page.getByTestId("profile-goals").getByText("to run a 5k").waitFor();
    await lastAssistant().and(page.locator("[data-status=complete]")).waitFor();
    await page.getByTestId("tool-line").getByText("Updated your profile").waitFor();
    await page.getByRole("status").getByText("offline dev model").waitFor();
    expect(await composer().isEnabled()).toBe(true);

    const sessionId = sessionIdInUrl();
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const shown = await transcript();
    expect(shown).toEqual(await stored(sessionId!));
    expect(shown.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(shown[1]!.text.length).toBeGreaterThan(0);
    await page
      .getByRole("navigation", { name: "Chats" })
      .getByText("my goal is to run a 5k")
      .waitFor();

    await page.screenshot({ path: join(screenshots, "chat-desktop.png") });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(screenshots, "chat-phone.png"), fullPage: true });
    // On a phone the page fits the screen with the composer in view; the profile is a tap away.
    const box = await composer().boundingBox();
    expect(box!.y + box!.height).toBeLessThanOrEqual(844);
    expect(await page.evaluate(() => document.documentElement.scrollHeight)).toBeLessThanOrEqual(
      844,
    );
    expect(await page.getByTestId("profile-goals").isVisible()).toBe(false);
    await page.getByRole("button", { name: "Profile" }).click();
    expect(await page.getByTestId("profile-goals").textContent()).toBe("to run a 5k");
    expect(await page.getByTestId("profile-goals").isVisible()).toBe(true);
    await page.getByRole("button", { name: "Profile" }).click();
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test("a reload shows the whole history", async () => {
    const before = await transcript();
    const toolLines = () => page.getByTestId("tool-line").allTextContents();
    const linesBefore = await toolLines();
    expect(linesBefore).toContain("Updated your profile");
    await page.reload();
    await connected().waitFor();
    await page
      .locator("[data-testid=message]")
      .nth(before.length - 1)
      .waitFor();
    expect(await transcript()).toEqual(before);
    // The tool lines come back from the stored calls, worded as they were live.
    await page.getByTestId("tool-line").getByText("Updated your profile").waitFor();
    expect(await toolLines()).toEqual(linesBefore);
    expect(await page.getByTestId("profile-goals").textContent()).toBe("to run a 5k");
  });

  test("Stop ends a long answer part-way", async () => {
    // Held after 100 words: it grows word by word, and is still streaming when Stop comes.
    holds().arm({ afterWords: 100 });
    await send("tell me a long story");
    const answer = lastAssistant();
    await answer.and(page.locator("[data-status=streaming]")).locator(".content").waitFor();
    // Token by token: the same message grows while it streams.
    const early = (await answer.locator(".content").textContent()) ?? "";
    await page.waitForFunction((length) => {
      const nodes = document.querySelectorAll("[data-testid=message][data-role=assistant]");
      const last = nodes[nodes.length - 1];
      return (last?.querySelector(".content")?.textContent?.length ?? 0) > length + 20;
    }, early.length);
    expect(await composer().isDisabled()).toBe(true);
    // The disabled composer handed the keyboard to Stop rather than to the top of the page.
    expect(await focusedText()).toBe("Stop");
    await page.getByRole("button", { name: "Stop" }).click();
    await answer.and(page.locator("[data-status=interrupted]")).waitFor();
    await answer.getByText("Stopped").waitFor();
    // Stop ends the model's request too; a release here only tidies if it has not yet.
    holds().release();
    expect(await composer().isEnabled()).toBe(true);

    const shown = await transcript();
    const last = shown.at(-1)!;
    // The offline model's story has twelve chapters; Stop came long before the last.
    expect(last.text.startsWith("Chapter 1.")).toBe(true);
    expect(last.text).not.toContain("Chapter 12.");
    expect(shown).toEqual(await stored(sessionIdInUrl()!));
  });

  test("a dropped socket loses and duplicates nothing", async () => {
    // Scrolled up to re-read: sending still shows the end of the chat.
    await page.$eval(".transcript", (el) => {
      el.scrollTop = 0;
    });
    const asked = page.locator("[data-testid=message][data-role=user]");
    const before = await asked.count();
    // Held after 40 words (more than the 80 characters awaited below) until the socket is back.
    holds().arm({ afterWords: 40 });
    await send("tell me a long story");
    await asked.nth(before).waitFor();
    expect(await transcriptAtEnd()).toBe(true);
    const answer = lastAssistant();
    await page.waitForFunction(() => {
      const nodes = document.querySelectorAll("[data-testid=message][data-role=assistant]");
      const last = nodes[nodes.length - 1] as HTMLElement | undefined;
      return last?.dataset.status === "streaming" && (last.textContent?.length ?? 0) > 80;
    });
    // On a phone the top bar must not grow a second row (and shove the chat) while reconnecting.
    await page.setViewportSize({ width: 390, height: 844 });
    const topbarHeights = await page.evaluateHandle(() => {
      const heights: number[] = [];
      const bar = document.querySelector(".topbar")!;
      new ResizeObserver(() => heights.push(bar.getBoundingClientRect().height)).observe(bar);
      return heights;
    });
    const dropped = await page.evaluate(() => {
      const sockets = (window as unknown as { __sockets: WebSocket[] }).__sockets;
      const live = sockets.filter((s) => s.readyState === WebSocket.OPEN);
      for (const socket of live) socket.close();
      return live.length;
    });
    expect(dropped).toBe(1);
    await page.getByTestId("connection").getByText("Reconnecting…").waitFor();
    await connected().waitFor();
    const heights = await topbarHeights.jsonValue();
    expect(heights.length).toBeGreaterThan(0);
    expect(new Set(heights).size).toBe(1);
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(holds().release()).toBe(1);
    await answer.and(page.locator("[data-status=complete]")).waitFor();
    const story = (await transcript()).at(-1)!.text;
    expect(story.startsWith("Chapter 1.")).toBe(true);
    expect(story).toContain("Chapter 12.");
    expect(story.match(/Chapter \d+\./g)).toHaveLength(12);

    // A message typed while the socket is down is sent once the connection is back.
    await page.evaluate(() => {
      for (const socket of (window as unknown as { __sockets: WebSocket[] }).__sockets)
        if (socket.readyState === WebSocket.OPEN) socket.close();
    });
    await send("my goal is to run a 10k");
    // It replaces the stored goal, so the trainer asks first: the person approves on the card.
    await approveCard();
    await page.getByTestId("profile-goals").getByText("to run a 10k").waitFor();
    await lastAssistant().and(page.locator("[data-status=complete]")).waitFor();

    const sessionId = sessionIdInUrl()!;
    const shown = await transcript();
    expect(shown).toEqual(await stored(sessionId));
    expect(shown.filter((m) => m.text === "my goal is to run a 10k")).toHaveLength(1);
    expect(new Set(shown.map((m) => m.seq)).size).toBe(shown.length);
  }, 120_000);

  test("a failed answer says why, and Retry asks again", async () => {
    stack.api.setAgentUrl("http://127.0.0.1:9");
    try {
      await send("my goal is to run a half marathon");
      const failed = lastAssistant().and(page.locator("[data-status=failed]"));
      await failed.waitFor();
      const reason = (await failed.getByRole("alert").textContent()) ?? "";
      expect(reason.length).toBeGreaterThan(10);
      // After a reload it still says why (the stored code, worded by the same module).
      await page.reload();
      await connected().waitFor();
      await failed.waitFor();
      expect(await failed.getByRole("alert").textContent()).toBe(reason);
    } finally {
      stack.api.setAgentUrl(stack.agent.url);
    }
    const before = (await transcript()).length;
    await lastAssistant().getByRole("button", { name: "Retry" }).click();
    await approveCard();
    await page.getByTestId("profile-goals").getByText("to run a half marathon").waitFor();
    await page
      .locator("[data-testid=message]")
      .nth(before + 1)
      .waitFor();
    await lastAssistant().and(page.locator("[data-status=complete]")).waitFor();
    expect(await transcript()).toEqual(await stored(sessionIdInUrl()!));
  });

  test("New chat starts a session; the list switches between them", async () => {
    const first = sessionIdInUrl()!;
    await page.getByRole("button", { name: "New chat" }).click();
    await page.getByText("Say hello to your trainer").waitFor();
    expect(sessionIdInUrl()).toBeNull();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("composer-input");
    await send("log a 30 minute run");
    await page.getByTestId("workout").getByText("run").waitFor();
    await lastAssistant().and(page.locator("[data-status=complete]")).waitFor();
    const second = sessionIdInUrl()!;
    expect(second).not.toBe(first);
    expect(await transcript()).toEqual(await stored(second));

    const chats = page.getByRole("navigation", { name: "Chats" });
    await chats.getByText("log a 30 minute run").waitFor();
    // Titles are cut with an ellipsis in the list; the tooltip has the whole one.
    expect(await chats.getByText("my goal is to run a 5k").getAttribute("title")).toBe(
      "my goal is to run a 5k",
    );
    await chats.getByText("my goal is to run a 5k").click();
    await page.waitForFunction(
      (id) => new URL(location.href).searchParams.get("session") === id,
      first,
    );
    const firstStored = await stored(first);
    await page
      .locator("[data-testid=message]")
      .nth(firstStored.length - 1)
      .waitFor();
    expect(await transcript()).toEqual(firstStored);
    // An opened chat shows its latest messages, not its first.
    expect(await page.$eval(".transcript", (el) => el.scrollHeight > el.clientHeight)).toBe(true);
    expect(await transcriptAtEnd()).toBe(true);
  });

  test("the composer grows with a long draft and shows the length limit", async () => {
    const empty = (await composer().boundingBox())!.height;
    await composer().fill("I want to get fitter.\n".repeat(6));
    expect((await composer().boundingBox())!.height).toBeGreaterThan(empty);
    expect(await page.getByTestId("composer-count").count()).toBe(0);
    // A paste longer than a message can be is cut at the limit, and the page says so.
    await composer().fill("x".repeat(maxChatTextLength + 1000));
    const count = (await page.getByTestId("composer-count").textContent()) ?? "";
    const limit = maxChatTextLength.toLocaleString("en");
    expect(count).toContain(`${limit} / ${limit} characters`);
    await composer().fill("");
    expect(await page.getByTestId("composer-count").count()).toBe(0);
  });

  test("sign-out ends the session", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/signin/);
    await page.goto(`${webOrigin}/`);
    await page.waitForURL(/\/signin/);
    await page.getByLabel("Email").waitFor();
  });
});
