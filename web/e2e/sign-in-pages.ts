/**
 * The browser side of signing in at a real OpenID provider (the testkit's `oidc-provider`):
 * its own login and consent pages, the sockets the chat page opens, and holding the page's
 * session reads, for the sign-in browser tests.
 */
import type { BrowserContext, Page, Request, Route } from "playwright-core";

/**
 * Answers whatever the provider asks (its login form, its consent page) until the browser is
 * back where `done` says; a provider that remembers the person asks nothing.
 */
export async function completeAtProvider(
  page: Page,
  providerUrl: string,
  login: string,
  done: (url: URL) => boolean,
) {
  const interaction = `${providerUrl}/interaction/`;
  while (true) {
    await page.waitForURL((url) => url.href.startsWith(interaction) || done(url));
    const here = page.url();
    if (!here.startsWith(interaction)) return;
    const loginForm = page.locator("input[name=login]");
    if (await loginForm.count()) {
      await loginForm.fill(login);
      await page.locator("input[name=password]").fill("any password");
      await page.getByRole("button", { name: "Sign-in" }).click();
    } else {
      await page.getByRole("button", { name: "Continue" }).click();
    }
    await page.waitForURL((url) => url.href !== here);
  }
}

/** The authorization request the web sent the browser to, as the provider received it. */
export function authorizationRequest(page: Page, providerUrl: string): Promise<URL> {
  return page
    .waitForRequest((request: Request) => request.url().startsWith(`${providerUrl}/auth`))
    .then((request) => new URL(request.url()));
}

export type SocketLog = { closes: number[]; authTokens: string[] };

/** Records every socket's close code and every token the page authenticates with. */
export async function recordSockets(context: BrowserContext) {
  await context.addInitScript(() => {
    const Native = window.WebSocket;
    const log = { closes: [] as number[], authTokens: [] as string[] };
    (window as unknown as { __sockets: typeof log }).__sockets = log;
    window.WebSocket = class extends Native {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        this.addEventListener("close", (event) => log.closes.push(event.code));
      }
      override send(data: string | ArrayBufferLike | Blob | ArrayBufferView) {
        if (typeof data === "string" && data.includes('"auth"')) {
          const frame = JSON.parse(data) as { type?: string; token?: string };
          if (frame.type === "auth" && frame.token) log.authTokens.push(frame.token);
        }
        super.send(data);
      }
    };
  });
}

export const socketLog = (page: Page): Promise<SocketLog> =>
  page.evaluate(() => (window as unknown as { __sockets: SocketLog }).__sockets);

/** Resolves once the page's sockets have been closed with `code` more than `seen` times. */
export async function closedWith(page: Page, code: number, seen: number, timeout = 30_000) {
  await page.waitForFunction(
    ([want, count]) =>
      (window as unknown as { __sockets: SocketLog }).__sockets.closes.filter((c) => c === want)
        .length > count,
    [code, seen] as const,
    { timeout },
  );
}

/**
 * Holds the page's session reads (GET /api/auth/session) as a throttled background tab's
 * timers would: the page cannot renew its token ahead of time, so the api's 4401 at expiry
 * is what renews it. `update()` (the POST after 4401) goes through.
 */
export async function holdSessionReads(page: Page) {
  const held: Route[] = [];
  let holding = true;
  const handler = (route: Route) => {
    if (!holding || route.request().method() !== "GET") return route.continue();
    held.push(route);
  };
  await page.route("**/api/auth/session", handler);
  return {
    async release() {
      holding = false;
      await Promise.all(held.map((route) => route.continue()));
      await page.unroute("**/api/auth/session", handler);
      return held.length;
    },
  };
}
