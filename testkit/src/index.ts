/**
 * `@trainer2/testkit`: test support across workspaces. One stack launcher (in-process or
 * child processes, optionally the web app) for the cross-service tests, the web e2e and the
 * bench; a chat client for it. The throwaway Postgres cluster for fault tests is
 * `@trainer2/testkit/postgres-cluster`; a real OpenID Provider on loopback for the sign-in
 * tests is `@trainer2/testkit/openid-provider` (apart, so other tests never load it).
 */
export { openChat } from "./chat.ts";
export { type ChatStack, type ChatStackOptions, startStack } from "./chat-stack.ts";
export type { DatabaseChoice, StackDatabase } from "./database.ts";
export { repoRoot, webDir } from "./paths.ts";
export { Service, type ServiceSpec } from "./service.ts";
export {
  closeAllStacks,
  createStack,
  type InProcessAgentOptions,
  type InProcessApiOptions,
  type ModelService,
  type ProcessOptions,
  Stack,
  type StackOptions,
} from "./stack.ts";
export { buildWeb, webOrigin } from "./web.ts";
