/**
 * The one stack launcher of the tests, the web e2e and the bench. A stack owns a database
 * and a key set, and starts on them, for whoever asks: the api and agents in-process (fast,
 * and a test can look inside) or as real child processes through the supervisor (real
 * start-up, memory, crashes), the standalone offline model, and the web app. Start one more
 * api or agent process with other settings, kill -9 it, start it again: each on a free port,
 * each closed with the stack.
 */
import {
  startTestAgent,
  type TestAgent,
  type TestAgentOptions,
  waitUntilReady,
} from "@trainer2/agent/testing";
import {
  generateTestApiKeys,
  noAgent,
  startTestApi,
  type TestApi,
  type TestApiKeys,
  type TestApiOptions,
} from "@trainer2/api/testing";
import { serverRuntimeFlags } from "@trainer2/shared/http";
import { freePort } from "@trainer2/shared/processes";
import { type DatabaseChoice, openDatabase, type StackDatabase } from "./database.ts";
import { testkitEnv } from "./env.ts";
import { repoRoot } from "./paths.ts";
import { agentEnv, apiEnv, type Env, modelEnv } from "./process-env.ts";
import { Service } from "./service.ts";
import { buildWeb, webSpec } from "./web.ts";

export type StackOptions = {
  /** Default: a fresh test database (DATABASE_URL's server, else in-memory PGlite). */
  database?: DatabaseChoice;
  /** What every child process starts from; default: PATH and HOME, NODE_ENV=production. */
  childEnv?: Env;
  /** Pause between /health tries while a child starts (the bench: 5 ms, it measures that). */
  healthPollMs?: number;
};

export type InProcessApiOptions = Omit<TestApiOptions, "database" | "keys">;
export type InProcessAgentOptions = Omit<TestAgentOptions, "apiPublicKey" | "agentPrivateKey">;

export type ProcessOptions = {
  /** Default: a free one. Give the port a peer was told about (the api's AGENT_URL). */
  port?: number;
  /** Overrides of the environment the stack gives it. */
  env?: Env;
  /** Resolve as soon as it is spawned, not once healthy (`service.healthy()` waits). */
  spawnOnly?: boolean;
};

/** The standalone offline model; `baseUrl` is what an OpenAI client is pointed at. */
export type ModelService = Service & { baseUrl: string };

const open = new Set<Stack>();

export async function createStack(options: StackOptions = {}): Promise<Stack> {
  const childEnv = options.childEnv ?? {
    PATH: testkitEnv().PATH,
    HOME: testkitEnv().HOME,
    NODE_ENV: "production",
  };
  const [database, keys] = await Promise.all([
    openDatabase(options.database ?? { kind: "fresh" }, childEnv),
    generateTestApiKeys(),
  ]);
  return new Stack(database, keys, childEnv, options.healthPollMs ?? 50);
}

/** Closes every stack not closed yet (a run stopped by Ctrl-C or a deadline). */
export async function closeAllStacks(): Promise<void> {
  await Promise.all([...open].map((stack) => stack.close()));
}

export class Stack {
  #closers: (() => Promise<unknown>)[] = [];
  #closing: Promise<void> | undefined;
  #started = new Map<string, number>();

  constructor(
    readonly database: StackDatabase,
    readonly keys: TestApiKeys,
    readonly childEnv: Env,
    readonly healthPollMs: number,
  ) {
    this.#closers.push(() => database.close());
    open.add(this);
  }

  /** The api in this process, on the stack's database and keys. */
  async startApi(options: InProcessApiOptions = {}): Promise<TestApi> {
    const api = await startTestApi({ ...options, database: this.database, keys: this.keys });
    return this.#owned(api);
  }

  /**
   * An agent in this process (offline model unless told otherwise), resolved once it has
   * synced; `synced: false` for one whose api is out of reach on purpose.
   */
  async startAgent(options: InProcessAgentOptions & { synced?: boolean }): Promise<TestAgent> {
    const { synced = true, ...agentOptions } = options;
    const agent = this.#owned(
      await startTestAgent({
        ...agentOptions,
        apiPublicKey: this.keys.apiPublicKey,
        agentPrivateKey: this.keys.agentPrivateKey,
      }),
    );
    if (synced) await waitUntilReady(agent);
    return agent;
  }

  /** `bun api/src/index.ts` on the stack's database, resolved once /health answers 200. */
  async startApiProcess(options: ProcessOptions & { agentUrl?: string } = {}): Promise<Service> {
    const port = options.port ?? (await freePort());
    const env = apiEnv(this.keys, {
      port,
      databaseUrl: this.database.url,
      agentUrl: options.agentUrl ?? noAgent,
    });
    return this.#startService(
      "api",
      ["api/src/index.ts"],
      port,
      { ...env, ...options.env },
      options,
    );
  }

  /**
   * `bun agent/src/index.ts` against `apiUrl`, resolved once it has synced (its /health is
   * 200). With `modelBaseUrl` it talks to that model (the standalone offline model).
   */
  async startAgentProcess(
    options: ProcessOptions & { apiUrl: string; modelBaseUrl?: string },
  ): Promise<Service> {
    const port = options.port ?? (await freePort());
    const env = agentEnv(this.keys, { port, ...options });
    return this.#startService(
      "agent",
      ["agent/src/index.ts"],
      port,
      { ...env, ...options.env },
      options,
    );
  }

  /** The offline model on its own (`agent/src/offline-model/main.ts`), no delay by default. */
  async startModelProcess(
    options: ProcessOptions & { delayMs?: number } = {},
  ): Promise<ModelService> {
    const port = options.port ?? (await freePort());
    const env = { ...modelEnv({ port, delayMs: options.delayMs ?? 0 }), ...options.env };
    const model = await this.#startService("model", ["agent/src/offline-model/main.ts"], port, env);
    return Object.assign(model, { baseUrl: `${model.url}/v1` });
  }

  /**
   * The web app (`next build` once per run, then `next start`) against `apiUrl`; `env` over
   * what it is given by default (dev login on), e.g. a test's sign-in provider.
   */
  async startWeb(options: {
    apiUrl: string;
    port?: number;
    env?: Record<string, string>;
  }): Promise<Service> {
    await buildWeb();
    const port = options.port ?? (await freePort());
    const web = await Service.start(
      webSpec(this.keys, {
        port,
        apiUrl: options.apiUrl,
        ...(options.env ? { env: options.env } : {}),
      }),
    );
    this.#closers.push(() => web.stop());
    return web;
  }

  /**
   * `bun <script>` on a free port (its PORT) with the stack's environment and `env`, once its
   * /health answers 200; stopped with the stack. For helpers beside the stack: the bench's
   * floor relays.
   */
  async startScriptProcess(name: string, script: string, env: Env = {}): Promise<Service> {
    const port = await freePort();
    return this.#startService(name, [script], port, { ...env, PORT: String(port) });
  }

  /** Everything it started, newest first, then the database; once, whoever calls first. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const close of this.#closers.toReversed()) await close().catch(() => {});
      open.delete(this);
    })();
    return this.#closing;
  }

  async #startService(
    kind: string,
    script: string[],
    port: number,
    env: Env,
    options: { spawnOnly?: boolean } = {},
  ): Promise<Service> {
    const count = (this.#started.get(kind) ?? 0) + 1;
    this.#started.set(kind, count);
    const service = Service.spawn({
      name: count === 1 ? kind : `${kind}-${count}`,
      // The api and the agent start as their images do (a larger HTTP header parser limit).
      command: [process.execPath, ...(kind === "model" ? [] : serverRuntimeFlags), ...script],
      cwd: repoRoot,
      env: { ...this.childEnv, ...env },
      port,
      stopGraceMs: 3000,
      healthPollMs: this.healthPollMs,
    });
    this.#closers.push(() => service.stop());
    if (!options.spawnOnly) await service.healthy();
    return service;
  }

  /** Closed with the stack, and at most once even when the test closes it first. */
  #owned<T extends { close(): Promise<void> }>(thing: T): T {
    let closing: Promise<void> | undefined;
    const close = thing.close.bind(thing);
    thing.close = () => {
      closing ??= close();
      return closing;
    };
    this.#closers.push(() => thing.close());
    return thing;
  }
}
