/**
 * A misconfigured sign-in, in Chromium: a Google whose discovery cannot be reached and an
 * OpenID provider that refuses the client secret each end on the sign-in page with a plain
 * sentence (no redirect loop) and one log line naming the provider and what to check, never
 * the secret. A refused configuration (dev login in production) stops the web at start, and
 * the api names a provider it cannot discover.
 */
import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  setDefaultTimeout,
  test,
} from "bun:test";
import { randomBytes } from "node:crypto";
import { noAgent } from "@trainer2/api/testing";
import { buildWeb, createStack, type Service, type Stack, webOrigin } from "@trainer2/testkit";
import { type OpenIdProvider, startOpenIdProvider } from "@trainer2/testkit/openid-provider";
import type { Page } from "playwright-core";
import { type Browser, launchBrowser } from "./browser";
import { completeAtProvider } from "./sign-in-pages";

setDefaultTimeout(60_000);

const unreachableDiscovery = "http://127.0.0.1:9/.well-known/openid-configuration";
const realSecret = randomBytes(24).toString("base64url");
const wrongSecret = `wrong-${randomBytes(12).toString("base64url")}`;

let stack: Stack;
let provider: OpenIdProvider;
let web: Service;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [stack, provider] = await Promise.all([
    createStack(),
    startOpenIdProvider({
      client: {
        id: "trainer2-web",
        secret: realSecret,
        redirectUri: `${webOrigin}/api/auth/callback/oidc`,
      },
    }),
    buildWeb(),
  ]);
  web = await stack.startWeb({
    apiUrl: noAgent,
    env: {
      GOOGLE_CLIENT_ID: "trainer2.apps.googleusercontent.com",
      GOOGLE_CLIENT_SECRET: "google-secret",
      GOOGLE_DISCOVERY_URL: unreachableDiscovery,
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: "trainer2-web",
      OIDC_CLIENT_SECRET: wrongSecret,
      AUTH_DEV_LOGIN: "false",
    },
  });
  browser = await launchBrowser(web.port);
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await provider?.close();
});

// No page of the app broke its Content Security Policy.
afterEach(() => {
  expect(browser.cspViolations).toEqual([]);
});

/** The sign-in page showing next-auth's `error` code. */
const signInError = (code: string) => (url: URL) =>
  url.origin === webOrigin && url.pathname === "/signin" && url.searchParams.get("error") === code;

/** Every page the browser loaded from the web from now on (a loop would load many). */
function webPagesLoaded(target: Page): string[] {
  const seen: string[] = [];
  target.on("request", (request) => {
    const url = request.url();
    if (request.resourceType() === "document" && url.startsWith(`${webOrigin}/`)) seen.push(url);
  });
  return seen;
}

describe("a misconfigured provider", () => {
  test("an unreachable discovery: a clear page, one log line, no loop", async () => {
    await page.goto(`${webOrigin}/signin`);
    const loaded = webPagesLoaded(page);
    await page.getByRole("button", { name: "Sign in with Google" }).click();
    await page.waitForURL(signInError("OAuthSignin"));
    await page.getByRole("alert").getByText("could not be reached").waitFor();
    await page.waitForLoadState("networkidle");
    // next-auth's redirects, then the sign-in page once; nothing after.
    expect(loaded.map((url) => new URL(url).pathname)).toEqual([
      "/api/auth/error",
      "/api/auth/signin",
      "/signin",
    ]);
    // The buttons are still there: the person can try again or choose another provider.
    await page.getByRole("button", { name: "Sign in with OpenID Connect" }).waitFor();
    const line = await web.waitForLine(/sign-in error SIGNIN_OAUTH_ERROR/);
    expect(line).toContain("(provider google)");
    expect(line).toContain("127.0.0.1:9");
    expect(line).toContain("is the provider's discovery URL (issuer) right and reachable?");
    expect(web.tail()).not.toContain("google-secret");
  });

  test("a wrong client secret: the provider refuses, a clear page, one log line without the secret", async () => {
    await page.goto(`${webOrigin}/signin`);
    const loaded = webPagesLoaded(page);
    await page.getByRole("button", { name: "Sign in with OpenID Connect" }).click();
    const failed = signInError("OAuthCallback");
    await completeAtProvider(page, provider.url, "ada@example.com", failed);
    await page.getByRole("alert").getByText("client secret is wrong").waitFor();
    await page.waitForLoadState("networkidle");
    expect(loaded.map((url) => new URL(url).pathname)).toEqual([
      "/api/auth/callback/oidc",
      "/api/auth/error",
      "/api/auth/signin",
      "/signin",
    ]);
    expect(provider.refusals.invalid_client).toBe(1);
    const line = await web.waitForLine(/sign-in error OAUTH_CALLBACK_ERROR/);
    expect(line).toContain("(provider oidc)");
    expect(line).toContain("invalid_client");
    expect(line).toContain(`${webOrigin}/api/auth/callback/oidc is a registered redirect URI`);
    expect(web.tail()).not.toContain(wrongSecret);
    expect(web.tail()).not.toContain(realSecret);
  });
});

describe("a refused configuration", () => {
  test("dev login under NODE_ENV=production without the second variable stops the web at start", async () => {
    const refused = await stack
      .startWeb({ apiUrl: noAgent, env: { AUTH_DEV_LOGIN_IN_PRODUCTION: "false" } })
      .then(
        () => null,
        (error: Error) => error.message,
      );
    expect(refused).toContain("[web] cannot start. Invalid environment:");
    expect(refused).toContain("AUTH_DEV_LOGIN: refused when NODE_ENV=production");
  });

  test("the api names a provider it cannot discover, and starts anyway", async () => {
    const api = await stack.startApiProcess({
      env: { OIDC_ISSUER: "http://127.0.0.1:9/realms/x", OIDC_CLIENT_ID: "trainer2-web" },
    });
    const line = await api.waitForLine(/sign-in provider misconfigured or unreachable/);
    expect(line).toContain(
      "OpenID discovery at http://127.0.0.1:9/realms/x/.well-known/openid-configuration unreachable",
    );
  });
});
