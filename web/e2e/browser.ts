/** Debian's Chromium through playwright-core, headless, with a throwaway profile. */

import { afterAll, afterEach, beforeAll, expect } from "bun:test";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { type ChatStack, startStack, webOrigin } from "@trainer2/testkit";
import { type BrowserContext, chromium, type Page } from "playwright-core";

export const chromiumPath = "/usr/bin/chromium";

/** Where the browser reaches the web app (mapped onto its real port below). */
const appOrigin = "http://localhost:3000";

export type Browser = {
  context: BrowserContext;
  /**
   * Every Content Security Policy violation any page reported so far ("directive blocked-uri
   * at source:line"): a test file expects none on the pages it visits.
   */
  cspViolations: string[];
  close(): Promise<void>;
};

/**
 * `webPort` is where the web app really listens; the browser reaches it as localhost:3000,
 * the origin the api allows, so the api's real CORS check is part of the test. Violations of
 * the pages' Content Security Policy are collected in `cspViolations`.
 */
export async function launchBrowser(webPort: number): Promise<Browser> {
  if (!existsSync(chromiumPath))
    throw new Error(`${chromiumPath} is missing: apt-get install -y chromium`);
  const profile = await mkdtemp(join(tmpdir(), "trainer2-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--host-resolver-rules=MAP localhost:3000 127.0.0.1:${webPort}`,
    ],
  });
  const cspViolations: string[] = [];
  // Reported by the browser itself (the event fires for every blocked load, script or style).
  await context.exposeBinding("__reportCspViolation", (source, violation: string) => {
    // The app's pages only: another site's (a sign-in provider's) policy is its own business.
    if (new URL(source.frame.url()).origin === appOrigin) cspViolations.push(violation);
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (window as unknown as { __reportCspViolation: (v: string) => void })
        .__reportCspViolation;
      report(
        `${event.effectiveDirective} ${event.blockedURI || "(inline)"} at ${event.sourceFile}:${event.lineNumber} on ${location.pathname}`,
      );
    });
  });
  return {
    context,
    cspViolations,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Keeps a handle on every socket a page opens (`window.__sockets`), so a test can drop one
 * as a network would.
 */
export async function trackSockets(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const Native = window.WebSocket;
    const opened: WebSocket[] = [];
    (window as unknown as { __sockets: WebSocket[] }).__sockets = opened;
    window.WebSocket = class extends Native {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        opened.push(this);
      }
    };
  });
}

/** Serious and critical axe-core violations on the page as it is now, as "rule: nodes". */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/**
 * From a signed-out visit to a connected chat: the app sends the visitor to sign-in, the dev
 * login signs them in as `person`, and the page's socket says "Connected".
 */
export async function signInWithDevLogin(page: Page, person: { name: string; email: string }) {
  await page.goto(`${webOrigin}/`);
  await page.waitForURL(/\/signin/);
  await page.getByLabel("Name").fill(person.name);
  await page.getByLabel("Email").fill(person.email);
  await page.getByRole("button", { name: "Sign in (dev)" }).click();
  await page.waitForURL(`${webOrigin}/`);
  await page.getByTestId("connection").getByText("Connected").waitFor();
}

/** What a browser test file runs against: the real stack with the web, Chromium, one page. */
export type BrowserStack = { stack: ChatStack; browser: Browser; page: Page };

/**
 * One stack and one browser for a test file: started before its tests (`ready` gets them
 * once up: permissions, socket tracking, signing in), closed after them, and after every
 * test the house rule of all browser tests: no page broke the Content Security Policy.
 */
export function browserStackForFile(
  options: Omit<NonNullable<Parameters<typeof startStack>[0]>, "web">,
  ready: (started: BrowserStack) => Promise<void> | void,
): void {
  // Filled as each part comes up, so a failed start still closes what did start.
  const started: Partial<BrowserStack> = {};
  beforeAll(async () => {
    const stack = await startStack({ ...options, web: true });
    started.stack = stack;
    const browser = await launchBrowser(stack.web!.port);
    started.browser = browser;
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    started.page = page;
    await ready({ stack, browser, page });
  }, 240_000);
  afterAll(async () => {
    await started.browser?.close();
    await started.stack?.close();
  });
  afterEach(() => {
    expect(started.browser?.cspViolations).toEqual([]);
  });
}
