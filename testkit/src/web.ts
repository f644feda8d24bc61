/**
 * The web app for browser tests: `next build` once per test run, shared by its processes
 * (web-build.ts: the run always tests the sources as they are now), then `next start` as a
 * supervised child against the stack's api.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { type TestApiKeys, testWebOrigin } from "@trainer2/api/testing";
import { runCommand } from "@trainer2/shared/testing/run-command";
import { inheritedEnv } from "./env.ts";
import { repoRoot, webDir } from "./paths.ts";
import type { ServiceSpec } from "./service.ts";
import { buildOnce } from "./web-build.ts";

const nextBin = join(repoRoot, "node_modules", "next", "dist", "bin", "next");

/** The origin the browser sees; the api allows it (CORS), as with `bun dev`. */
export const webOrigin = testWebOrigin;

let built: Promise<void> | undefined;

export function buildWeb(): Promise<void> {
  built ??= buildOnce(nextBuild);
  return built;
}

async function nextBuild() {
  const { stdout, stderr, code } = await runCommand(["node", nextBin, "build"], {
    cwd: webDir,
    env: { ...inheritedEnv(), NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (code !== 0)
    throw new Error(`next build failed (exit ${code}):\n${(stdout + stderr).slice(-4000)}`);
}

/**
 * `next start` on `port` (the browser maps webOrigin onto it), signing in by dev login unless
 * `env` says otherwise (a test's OpenID provider, dev login off).
 */
export function webSpec(
  keys: TestApiKeys,
  where: { port: number; apiUrl: string; env?: Record<string, string> },
): ServiceSpec {
  return {
    name: "web",
    command: ["node", nextBin, "start", "--port", String(where.port), "--hostname", "127.0.0.1"],
    cwd: webDir,
    port: where.port,
    env: {
      ...inheritedEnv(),
      // bun test sets NODE_ENV=test; next start must run as production.
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      NEXT_PUBLIC_API_URL: where.apiUrl,
      // The one public URL (the api's CORS reads it too); next-auth's NEXTAUTH_URL follows.
      WEB_ORIGIN: webOrigin,
      NEXTAUTH_URL: "",
      NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
      AUTH_DEV_LOGIN: "true",
      // A production build, where dev login needs saying twice.
      AUTH_DEV_LOGIN_IN_PRODUCTION: "true",
      DEV_LOGIN_PRIVATE_KEY: keys.devLoginPrivateKey,
      GOOGLE_CLIENT_ID: "",
      GOOGLE_CLIENT_SECRET: "",
      OIDC_ISSUER: "",
      OIDC_CLIENT_ID: "",
      OIDC_CLIENT_SECRET: "",
      ...where.env,
    },
    healthPollMs: 100,
  };
}
