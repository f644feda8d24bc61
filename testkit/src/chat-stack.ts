/**
 * What most cross-service tests want from the launcher: the api and an agent in this
 * process on a fresh database, wired to each other, the agent synced; with `web`, the web
 * app served against them too.
 */
import type { TestAgent } from "@trainer2/agent/testing";
import type { TestApi } from "@trainer2/api/testing";
import type { Service } from "./service.ts";
import {
  createStack,
  type InProcessAgentOptions,
  type InProcessApiOptions,
  type Stack,
  type StackOptions,
} from "./stack.ts";
import { buildWeb } from "./web.ts";

export type ChatStackOptions = StackOptions & {
  api?: InProcessApiOptions;
  agent?: Omit<InProcessAgentOptions, "apiUrl">;
  /** Also the web app (`next build` once per run, `next start`), signing in by dev login. */
  web?: boolean;
};

export type ChatStack = Stack & { api: TestApi; agent: TestAgent; web?: Service };

export async function startStack(options: ChatStackOptions = {}): Promise<ChatStack> {
  const stack = await createStack(options);
  try {
    // The build is the slow part: it runs while the api starts.
    const [api] = await Promise.all([stack.startApi(options.api), options.web && buildWeb()]);
    const agent = await stack.startAgent({ ...options.agent, apiUrl: api.url });
    api.setAgentUrl(agent.url);
    const web = options.web ? await stack.startWeb({ apiUrl: api.url }) : undefined;
    return Object.assign(stack, { api, agent, ...(web ? { web } : {}) });
  } catch (error) {
    await stack.close();
    throw error;
  }
}
