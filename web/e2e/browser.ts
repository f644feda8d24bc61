/** Debian's Chromium through playwright-core, headless, with a throwaway profile. */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const chromiumPath = "/usr/bin/chromium";

export type Browser = { context: BrowserContext; close(): Promise<void> };

/**
 * `webPort` is where the web app really listens; the browser reaches it as localhost:3000,
 * the origin the api allows, so the api's real CORS check is part of the test.
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
  return {
    context,
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
