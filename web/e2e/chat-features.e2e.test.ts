/**
 * What a person reaches for in the first minute, in a real browser against the real stack:
 * answers rendered as Markdown while they stream (and model HTML shown as text), their chats
 * in hand (rename, delete, regenerate, copy), their data theirs (download, delete the
 * account), the training chart, dark mode, no serious accessibility violation, and the
 * security headers with no Content Security Policy violation on any page visited.
 * README screenshots are saved in e2e/screenshots/ (readme-*.png).
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { accountExportDto } from "@trainer2/shared/account-data";
import { type ChatStack, webOrigin } from "@trainer2/testkit";
import type { Page } from "playwright-core";
import { browserStackForFile, seriousAxeViolations, signInWithDevLogin } from "./browser";
import { transcript as shownMessages, storedMessages } from "./transcript";

setDefaultTimeout(60_000);

const screenshots = join(import.meta.dir, "screenshots");
const email = "robin@example.com";

let stack: ChatStack;
let page: Page;

const composer = () => page.getByRole("textbox", { name: "Message" });
const lastAssistant = () => page.locator("[data-testid=message][data-role=assistant]").last();
const chats = () => page.getByRole("navigation", { name: "Chats" });
const sessionIdInUrl = () => new URL(page.url()).searchParams.get("session")!;

async function send(text: string) {
  await composer().fill(text);
  await composer().press("Enter");
}

/** Sends `text` and waits for its own answer to be complete (not the one before it). */
async function ask(text: string) {
  const answers = page.locator("[data-testid=message][data-role=assistant]");
  const before = await answers.count();
  await send(text);
  const answer = answers.nth(before);
  await answer.and(page.locator("[data-status=complete]")).waitFor();
  return answer;
}

const signIn = () => signInWithDevLogin(page, { name: "Robin Runner", email });

/** The signed-in user's id, from the database. */
async function userId(): Promise<string> {
  const [row] = await stack.api.sql<{ id: string }[]>`select id from users where email = ${email}`;
  return row!.id;
}

browserStackForFile(
  {
    // Budgets on as `bun dev` has them (a generous day, nothing else limited): the page,
    // its axe scans and the README screenshots include the state panel's budget bar.
    api: {
      devLogin: true,
      budgets: {
        defaults: { dailyTokens: 1_000_000, turnsPerMinute: 0, concurrentRuns: 0 },
        maxOutputTokens: 4096,
        timeZone: "UTC",
        prices: new Map(),
      },
    },
    agent: { offlineDelayMs: 15 },
  },
  async (started) => {
    ({ stack, page } = started);
    await started.browser.context.grantPermissions(["clipboard-read", "clipboard-write"], {
      origin: webOrigin,
    });
  },
);

describe("defence in depth", () => {
  test("the web sends its security headers, with a nonce on every script", async () => {
    const response = (await page.goto(`${webOrigin}/signin`))!;
    const headers = response.headers();
    const policy = headers["content-security-policy"] ?? "";
    const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
    expect(nonce).toBeString();
    const api = new URL(stack.api.url);
    expect(policy).toContain(`script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`);
    expect(policy).toContain(`connect-src 'self' ${api.origin} ws://${api.host}`);
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain("unsafe-inline");
    expect(headers["referrer-policy"]).toBe("no-referrer");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    const scripts = await page.$$eval("script", (nodes) =>
      nodes.map((node) => (node as HTMLScriptElement).nonce),
    );
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.every((value) => value === nonce)).toBe(true);
    // A fresh nonce per response.
    const again = (await page.reload())!.headers()["content-security-policy"];
    expect(again).not.toContain(`'nonce-${nonce}'`);
  });

  test("the api sends its own (hono/secure-headers)", async () => {
    const response = await fetch(`${stack.api.url}/health`);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  });

  test("the sign-in page has no serious accessibility violation", async () => {
    await page.getByLabel("Email").waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
  });
});

describe("rendered answers", () => {
  test("a plan streams into a table and a list; no block before it flickers or reflows", async () => {
    await signIn();
    // Watches the answer as it streams: no row of pipes ever shown as text, no ** shown,
    // and the first paragraph stays the very same element from its first word to the end.
    await page.evaluate(() => {
      const seen = { pipes: false, stars: false, replaced: false, first: null as Element | null };
      (window as unknown as { __stream: typeof seen }).__stream = seen;
      new MutationObserver(() => {
        const answers = document.querySelectorAll("[data-role=assistant] .markdown");
        const markdown = answers[answers.length - 1];
        if (!markdown) return;
        const first = markdown.firstElementChild;
        if (seen.first && first !== seen.first) seen.replaced = true;
        seen.first ??= first;
        for (const block of markdown.querySelectorAll(":scope > p"))
          if (block.textContent?.trimStart().startsWith("|")) seen.pipes = true;
        if (markdown.textContent?.includes("**")) seen.stars = true;
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    });
    const answer = await ask("make me a plan");
    const table = answer.locator(".content table");
    expect(await table.locator("th").allTextContents()).toEqual(["Day", "Session", "Minutes"]);
    expect(await table.locator("tbody tr").count()).toBe(7);
    expect(await answer.locator(".content ol > li").count()).toBe(3);
    expect(await answer.locator(".content strong").first().textContent()).toBe("sample week");
    expect(await answer.locator(".content").textContent()).not.toContain("**");
    const watched = await page.evaluate(() => {
      const { pipes, stars, replaced } = (
        window as unknown as { __stream: Record<string, unknown> }
      ).__stream;
      return { pipes, stars, replaced };
    });
    expect(watched).toEqual({ pipes: false, stars: false, replaced: false });
    // The question stays as typed: plain text.
    expect(await page.locator("[data-role=user] .content").last().innerHTML()).toBe(
      "make me a plan",
    );
  });

  test("HTML in an answer is shown as text; links open apart; code has a copy button", async () => {
    const alerts: string[] = [];
    page.on("dialog", (dialog) => {
      alerts.push(dialog.message());
      void dialog.dismiss();
    });
    const injected = "<img src=x onerror=alert(1)>";
    // Any image or script element the transcript ever gets, even for a moment mid-stream.
    await page.evaluate(() => {
      const created: string[] = [];
      (window as unknown as { __created: string[] }).__created = created;
      new MutationObserver((records) => {
        for (const record of records)
          for (const node of record.addedNodes)
            if (node instanceof Element)
              for (const found of [node, ...node.querySelectorAll("img, script")])
                if (found.matches("img, script")) created.push(found.outerHTML);
      }).observe(document.querySelector(".transcript")!, { childList: true, subtree: true });
    });
    const answer = await ask(
      `repeat after me: ${injected} [a guide](https://example.com/run)\n\n\`\`\`js\nconst pace = 5;\n\`\`\``,
    );
    const content = answer.locator(".content");
    expect(await content.locator("p").first().textContent()).toContain(injected);
    expect(await content.locator("img, script").count()).toBe(0);
    expect(
      await page.evaluate(() => (window as unknown as { __created: string[] }).__created),
    ).toEqual([]);
    const link = content.getByRole("link", { name: "a guide" });
    expect(await link.getAttribute("target")).toBe("_blank");
    expect(await link.getAttribute("rel")).toBe("noopener noreferrer");
    await content.getByRole("button", { name: "Copy Code" }).click();
    await page.waitForFunction(async () => (await navigator.clipboard.readText()).length > 0);
    expect((await page.evaluate(() => navigator.clipboard.readText())).trimEnd()).toBe(
      "const pace = 5;",
    );
    expect(alerts).toEqual([]);
  });
});

describe("their chats in hand", () => {
  test("copy a message: the answer as written", async () => {
    const plan = page.locator("[data-testid=message][data-role=assistant]").first();
    await plan.getByRole("button", { name: "Copy", exact: true }).click();
    await plan.getByText("Copied").waitFor();
    const [stored] = await stack.api.sql<{ content: string }[]>`
      select content from messages where session_id = ${sessionIdInUrl()} and role = 'assistant'
      order by seq limit 1`;
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(stored!.content);
  });

  test("regenerate the last answer: a new one replaces it on the page; both are stored", async () => {
    const shownBefore = await shownMessages(page);
    const lastSeq = Number(shownBefore.at(-1)!.seq);
    await lastAssistant().getByRole("button", { name: "Regenerate" }).click();
    await page
      .locator(`[data-role=assistant][data-seq="${lastSeq + 1}"][data-status=complete]`)
      .waitFor();
    const shown = await shownMessages(page);
    expect(shown.length).toBe(shownBefore.length);
    expect(shown.at(-1)!.seq).toBe(String(lastSeq + 1));
    const stored = await storedMessages(stack.api.sql, sessionIdInUrl());
    expect(stored.map((m) => m.seq)).toContain(String(lastSeq));
    // What is shown is what is stored, the replaced answer left out (answers are compared by
    // seq and status: their Markdown is rendered, not shown as written).
    const outline = (messages: typeof shown) =>
      messages.map(({ role, status, seq, text }) => ({
        role,
        status,
        seq,
        text: role === "user" ? text : "",
      }));
    expect(outline(shown)).toEqual(outline(stored.filter((m) => m.seq !== String(lastSeq))));
  });

  test("the chat list says when each chat was active; rename changes the title", async () => {
    const current = chats().locator("li.current");
    expect(await current.locator("time").textContent()).toBe("just now");
    await chats().getByRole("button", { name: "Rename chat" }).click();
    await chats().getByRole("textbox", { name: "Chat title" }).fill("Marathon plan");
    await chats().getByRole("textbox", { name: "Chat title" }).press("Enter");
    await chats().getByText("Marathon plan").waitFor();
    const [row] = await stack.api
      .sql`select title from chat_sessions where id = ${sessionIdInUrl()}`;
    expect(row).toEqual({ title: "Marathon plan" });
  });

  test("delete is refused while an answer streams, then deletes the chat and its messages", async () => {
    const sessionId = sessionIdInUrl();
    // Held after 20 words: still streaming whatever the clicks below take.
    stack.agent.model.offlineHolds!.arm({ afterWords: 20 });
    await send("tell me a long story");
    await lastAssistant()
      .and(page.locator("[data-status=streaming]"))
      .locator(".content")
      .waitFor();
    const dialog = page.getByRole("dialog", { name: "Delete this chat?" });
    await chats().getByRole("button", { name: "Delete chat" }).click();
    await dialog.getByRole("button", { name: "Delete chat" }).click();
    await page.getByRole("alert").getByText("still answering in this chat").waitFor();
    expect(await stack.api.sql`select 1 from chat_sessions where id = ${sessionId}`).toHaveLength(
      1,
    );
    await page.getByRole("button", { name: "Stop" }).click();
    await lastAssistant().and(page.locator("[data-status=interrupted]")).waitFor();
    // Stop ends the model's request too; a release here only tidies if it has not yet.
    stack.agent.model.offlineHolds!.release();
    await chats().getByRole("button", { name: "Delete chat" }).click();
    await dialog.getByRole("button", { name: "Delete chat" }).click();
    await page.getByText("Say hello to your trainer").waitFor();
    // The chat's own title (exact): the closing dialog's "“Marathon plan” and all its…" may
    // still be there a moment, and two matches fail the wait outright.
    await chats().getByText("Marathon plan", { exact: true }).waitFor({ state: "detached" });
    // And the dialog closed: while a modal is open the rest of the page is inert, so the next
    // test's message would go nowhere.
    await dialog.waitFor({ state: "hidden" });
    expect(
      await stack.api.sql`select 1 from messages where session_id = ${sessionId}`,
    ).toHaveLength(0);
  });
});

describe("a picture where one helps", () => {
  test("the training chart updates when a workout is logged", async () => {
    const thisWeek = page.getByTestId("chart-this-week");
    expect(await thisWeek.textContent()).toBe("This week: 0 min in 0 workouts");
    expect(await page.getByTestId("chart-week").count()).toBe(8);
    await ask("log a 30 minute run");
    await thisWeek.getByText("This week: 30 min in 1 workout").waitFor();
    expect(await page.getByTestId("chart-week").last().getAttribute("data-minutes")).toBe("30");
  });
});

describe("comfort", () => {
  test("the chat and the phone layout have no serious accessibility violation", async () => {
    await ask("my goal is to run a 10k");
    await ask("make me a plan");
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(screenshots, "readme-desktop.png") });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole("button", { name: "Profile" }).click();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByRole("button", { name: "Profile" }).click();
    await page.screenshot({ path: join(screenshots, "readme-phone.png") });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test("dark mode follows the system, and the toggle's choice persists", async () => {
    const background = () =>
      page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const light = await background();
    await page.emulateMedia({ colorScheme: "dark" });
    const dark = await background();
    expect(dark).not.toBe(light);
    // The toggle hears the system's change too.
    await page.getByRole("button", { name: "Dark mode", pressed: true }).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(screenshots, "readme-dark.png") });
    // Chosen light against a dark system: kept across a reload.
    await page.getByRole("button", { name: "Dark mode" }).click();
    expect(await background()).toBe(light);
    await page.reload();
    await page.getByTestId("connection").getByText("Connected").waitFor();
    expect(await background()).toBe(light);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("light");
    await page.getByRole("button", { name: "Dark mode" }).click();
    expect(await background()).toBe(dark);
    await page.emulateMedia({ colorScheme: "light" });
  });
});

describe("their data theirs", () => {
  test("Download my data: one JSON file, valid against its schema", async () => {
    const downloading = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download my data" }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^trainer2-data-\d{4}-\d{2}-\d{2}\.json$/);
    const file = accountExportDto.parse(
      JSON.parse(await readFile((await download.path())!, "utf8")),
    );
    expect(file.user).toMatchObject({ id: await userId(), email });
    expect(file.workouts.map((w) => [w.kind, w.durationMin])).toEqual([["run", 30]]);
    expect(file.sessions.flatMap((s) => s.messages).length).toBeGreaterThan(0);
    expect(file.toolCalls.map((c) => c.tool)).toContain("log_workout");
  });

  test("Delete my account: confirmed by the email, every row gone, the next sign-in fresh", async () => {
    const id = await userId();
    await page.getByRole("button", { name: "Delete my account" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete your account?" });
    const confirm = dialog.getByRole("button", { name: "Delete my account" });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByRole("textbox").fill(email);
    await confirm.click();
    await page.waitForURL(/\/signin\?deleted=1/);
    await page.getByText("Your account and everything in it were deleted.").waitFor();
    // Every table with a user_id column, and users itself: nothing of that user is left.
    const tables = await stack.api.sql<{ table_name: string }[]>`
      select table_name from information_schema.columns
      where table_schema = 'public' and column_name = 'user_id'`;
    const left: Record<string, number> = {};
    for (const { table_name } of tables) {
      const [row] = await stack.api.sql.unsafe<{ n: number }[]>(
        `select count(*)::int as n from "${table_name}" where user_id = $1`,
        [id],
      );
      left[table_name] = row!.n;
    }
    const [users] = await stack.api.sql<{ n: number }[]>`
      select count(*)::int as n from users where id = ${id}`;
    left.users = users!.n;
    expect(Object.keys(left).length).toBeGreaterThanOrEqual(6);
    expect(Object.values(left).every((n) => n === 0)).toBe(true);

    await signIn();
    await page.getByText("Say hello to your trainer").waitFor();
    expect(await chats().getByText("No chats yet.").count()).toBe(1);
    expect(await page.getByTestId("chart-this-week").textContent()).toBe(
      "This week: 0 min in 0 workouts",
    );
    expect(await userId()).not.toBe(id);
  });
});
