/**
 * Signing in for real, in Chromium, against real OpenID providers on loopback (the testkit's
 * `oidc-provider`): once as the web's Google provider pointed at a local Google, once as the
 * generic provider by discovery (rotating its refresh tokens, as Auth0 and Okta can). For
 * each: the authorization-code redirect with state and PKCE, the callback, the chat on HTTP
 * and on the socket with the provider's id_token, an id_token that expires while the page is
 * open (renewed by refresh token, the socket resumed, no event lost), a revoked refresh token
 * (asked to sign in again, nothing lost), and sign-out. id_tokens live 6 seconds here; the long
 * answer is held by the offline model until the page has renewed its token.
 *
 * The api and the web read one set of variables (issuer, client id) from one object below.
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
import type { TestAgent } from "@trainer2/agent/testing";
import { freePort } from "@trainer2/shared/processes";
import { buildWeb, createStack, type Service, type Stack, webOrigin } from "@trainer2/testkit";
import { type OpenIdProvider, startOpenIdProvider } from "@trainer2/testkit/openid-provider";
import { decodeJwt } from "jose";
import type { Page, WebSocket } from "playwright-core";
import { type Browser, launchBrowser } from "./browser";
import {
  authorizationRequest,
  closedWith,
  completeAtProvider,
  holdSessionReads,
  recordSockets,
  socketLog,
} from "./sign-in-pages";
import { storedMessages, transcript } from "./transcript";

setDefaultTimeout(60_000);

const idTokenSeconds = 6;
const googleIssuer = "https://accounts.google.com";
const secret = () => randomBytes(24).toString("base64url");
const clients = {
  google: { id: "trainer2-e2e.apps.googleusercontent.com", secret: secret() },
  oidc: { id: "trainer2-web", secret: secret() },
};

let stack: Stack;
let api: Service;
let web: Service;
let agent: TestAgent;
const providers = {} as Record<"google" | "oidc", OpenIdProvider>;

beforeAll(async () => {
  stack = await createStack();
  const [google, oidc] = await Promise.all([
    startOpenIdProvider({
      issuer: googleIssuer,
      client: {
        ...clients.google,
        redirectUri: `${webOrigin}/api/auth/callback/google`,
        authMethod: "client_secret_post",
      },
      idTokenSeconds,
    }),
    startOpenIdProvider({
      client: { ...clients.oidc, redirectUri: `${webOrigin}/api/auth/callback/oidc` },
      idTokenSeconds,
      rotateRefreshTokens: true,
    }),
    // The build is the slow part: it runs while everything else starts.
    buildWeb(),
  ]);
  Object.assign(providers, { google, oidc });
  // The one set of sign-in variables both the api and the web read.
  const signIn = {
    GOOGLE_CLIENT_ID: clients.google.id,
    GOOGLE_DISCOVERY_URL: google.discoveryUrl,
    OIDC_ISSUER: oidc.issuer,
    OIDC_CLIENT_ID: clients.oidc.id,
    AUTH_DEV_LOGIN: "false",
  };
  const agentPort = await freePort();
  api = await stack.startApiProcess({ agentUrl: `http://127.0.0.1:${agentPort}`, env: signIn });
  // In this process, so a test can hold the offline model's long story while a token expires.
  agent = await stack.startAgent({ apiUrl: api.url, port: agentPort, offlineDelayMs: 25 });
  web = await stack.startWeb({
    apiUrl: api.url,
    env: {
      ...signIn,
      GOOGLE_CLIENT_SECRET: clients.google.secret,
      OIDC_CLIENT_SECRET: clients.oidc.secret,
      OIDC_NAME: "Test OpenID",
    },
  });
}, 240_000);

afterAll(async () => {
  await stack?.close();
  await Promise.all(Object.values(providers).map((p) => p.close()));
});

const connected = (page: Page) => page.getByTestId("connection").getByText("Connected");
const lastAssistant = (page: Page) =>
  page.locator("[data-testid=message][data-role=assistant]").last();
const composer = (page: Page) => page.getByRole("textbox", { name: "Message" });
const sessionIdIn = (page: Page) => new URL(page.url()).searchParams.get("session");

async function send(page: Page, text: string) {
  await composer(page).fill(text);
  await composer(page).press("Enter");
}

const shapes = [
  { id: "google", button: "Sign in with Google", issuer: googleIssuer },
  { id: "oidc", button: "Sign in with Test OpenID", issuer: "" },
] as const;

describe.each(shapes)("sign-in with the $id provider", (shape) => {
  let browser: Browser;
  let page: Page;
  const sockets: WebSocket[] = [];
  const provider = () => providers[shape.id];
  const client = clients[shape.id];
  const login = `${shape.id}.person@example.com`;

  beforeAll(async () => {
    browser = await launchBrowser(web.port);
    await recordSockets(browser.context);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on("websocket", (socket) => sockets.push(socket));
  });
  afterAll(async () => {
    await browser?.close();
  });
  // No page of the app (the provider's are its own) broke its Content Security Policy.
  afterEach(() => {
    expect(browser.cspViolations).toEqual([]);
  });

  test("the sign-in page offers each provider; the code flow carries state and PKCE", async () => {
    await page.goto(`${webOrigin}/`);
    await page.waitForURL(/\/signin/);
    expect(await page.getByRole("button", { name: /^Sign in with/ }).allTextContents()).toEqual([
      "Sign in with Google",
      "Sign in with Test OpenID",
    ]);
    expect(await page.getByLabel("Email").count()).toBe(0);

    const authorization = authorizationRequest(page, provider().url);
    await page.getByRole("button", { name: shape.button }).click();
    const request = await authorization;
    const params = Object.fromEntries(request.searchParams);
    expect(params).toMatchObject({
      response_type: "code",
      client_id: client.id,
      redirect_uri: `${webOrigin}/api/auth/callback/${shape.id}`,
      code_challenge_method: "S256",
    });
    expect(params.state?.length).toBeGreaterThan(20);
    expect(params.code_challenge?.length).toBeGreaterThan(20);
    expect(params.scope?.split(" ")).toContain("openid");
    if (shape.id === "google")
      expect(params).toMatchObject({ access_type: "offline", prompt: "consent" });

    await completeAtProvider(page, provider().url, login, (url) => url.href === `${webOrigin}/`);
    await connected(page).waitFor();
    expect(provider().grants.authorization_code).toBe(1);
  });

  test("the chat works with the provider's id_token, on HTTP (/state) and on the socket", async () => {
    const { token, state } = await page.evaluate(async (apiUrl) => {
      const session = (await (await fetch("/api/auth/session")).json()) as { idToken: string };
      const response = await fetch(`${apiUrl}/state`, {
        headers: { authorization: `Bearer ${session.idToken}` },
      });
      return {
        token: session.idToken,
        state: { status: response.status, body: await response.json() },
      };
    }, api.url);
    const claims = decodeJwt(token);
    expect(claims.iss).toBe(shape.issuer || provider().issuer);
    expect(claims.aud).toBe(client.id);
    expect(claims.exp! - claims.iat!).toBe(idTokenSeconds);
    expect(state.status).toBe(200);
    expect(state.body.user).toMatchObject({ email: login });
    const [user] = await stack.database.sql<{ issuer: string; subject: string }[]>`
      select issuer, subject from users where email = ${login}`;
    expect(user).toEqual({ issuer: shape.issuer || provider().issuer, subject: login });

    await send(page, "my goal is to run a 5k");
    await page.getByTestId("profile-goals").getByText("to run a 5k").waitFor();
    await lastAssistant(page).and(page.locator("[data-status=complete]")).waitFor();
    expect(await page.locator(".who").textContent()).toBe(
      `${shape.id.charAt(0).toUpperCase()}${shape.id.slice(1)}.person Tester`,
    );
  });

  test("an id_token that expires mid-answer is renewed by refresh token; the answer resumes whole", async () => {
    // Held after 20 words until the page has its new token: the token expires mid-answer.
    const holds = agent.model.offlineHolds!;
    holds.arm({ afterWords: 20 });
    await send(page, "tell me a long story");
    const answer = lastAssistant(page);
    await answer.and(page.locator("[data-status=streaming]")).locator(".content").waitFor();
    const before = await socketLog(page);
    const refreshes = provider().grants.refresh_token;
    const hold = await holdSessionReads(page);
    // The api closes the socket when its token expires (within 6 s); the page renews it.
    await closedWith(page, 4401, before.closes.filter((c) => c === 4401).length);
    expect(await answer.getAttribute("data-status")).toBe("streaming");
    await hold.release();
    // Back on a socket signed in with the renewed token (the badge may still show the old
    // socket's "Connected" for a moment), and only then the rest of the answer.
    await page.waitForFunction(
      (count) =>
        (window as unknown as { __sockets: { authTokens: string[] } }).__sockets.authTokens.length >
        count,
      before.authTokens.length,
    );
    await connected(page).waitFor();
    expect(holds.release()).toBe(1);
    await answer.and(page.locator("[data-status=complete]")).waitFor();

    const after = await socketLog(page);
    const renewed = after.authTokens.at(-1)!;
    expect(after.authTokens.length).toBeGreaterThan(before.authTokens.length);
    expect(decodeJwt(renewed).exp!).toBeGreaterThan(decodeJwt(before.authTokens.at(-1)!).exp!);
    expect(provider().grants.refresh_token).toBeGreaterThan(refreshes);
    // Nothing spent twice: a rotated refresh token reused would have been refused.
    expect(provider().refusals).toEqual({});

    const story = (await transcript(page)).at(-1)!.text;
    expect([...(story.match(/Chapter \d+\./g) ?? [])]).toEqual(
      Array.from({ length: 12 }, (_, i) => `Chapter ${i + 1}.`),
    );
    expect(await transcript(page)).toEqual(
      await storedMessages(stack.database.sql, sessionIdIn(page)!),
    );
    // The person never noticed: still on the chat, never asked to sign in.
    expect(new URL(page.url()).pathname).toBe("/");
    expect(await page.getByTestId("signed-out").count()).toBe(0);
  }, 90_000);

  test("a revoked refresh token asks the person to sign in again; nothing is lost", async () => {
    const sessionId = sessionIdIn(page)!;
    const kept = await transcript(page);
    expect(await provider().revokeRefreshTokens()).toBeGreaterThan(0);
    await composer(page).fill("a draft written before signing in again");
    await page.getByTestId("signed-out").waitFor({ timeout: 30_000 });
    expect(provider().refusals.invalid_grant).toBeGreaterThan(0);
    // Sending is refused while signed out, and the text stays in the box.
    await composer(page).press("Enter");
    expect(await composer(page).inputValue()).toBe("a draft written before signing in again");

    await page.getByTestId("signed-out").getByRole("link", { name: "Sign in again" }).click();
    await page.waitForURL(/\/signin/);
    await page.getByText("Your sign-in has expired").waitFor();
    await page.getByRole("button", { name: shape.button }).click();
    const back = `${webOrigin}/?session=${sessionId}`;
    await completeAtProvider(page, provider().url, login, (url) => url.href === back);
    await connected(page).waitFor();
    await page
      .locator("[data-testid=message]")
      .nth(kept.length - 1)
      .waitFor();
    expect(await transcript(page)).toEqual(kept);
    expect(await transcript(page)).toEqual(await storedMessages(stack.database.sql, sessionId));
    expect(await composer(page).inputValue()).toBe("a draft written before signing in again");
  });

  test("sign-out closes the socket and removes the session cookie", async () => {
    const open = sockets.filter((socket) => !socket.isClosed());
    expect(open).toHaveLength(1);
    const closed = open[0]!.waitForEvent("close");
    await page.getByRole("button", { name: "Sign out" }).click();
    await closed;
    await page.waitForURL(/\/signin/);
    const cookies = await browser.context.cookies(webOrigin);
    expect(cookies.map((c) => c.name).filter((name) => name.includes("session-token"))).toEqual([]);
    expect(await page.evaluate(async () => (await fetch("/api/auth/session")).json())).toEqual({});
    await page.goto(`${webOrigin}/`);
    await page.waitForURL(/\/signin/);
  });
});
