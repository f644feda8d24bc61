/** The Node side of instrumentation.ts: parse the environment now, or stop with its problems. */
import { webEnv } from "./lib/env";

try {
  webEnv();
} catch (error) {
  console.error(`[web] cannot start. ${(error as Error).message}`);
  process.exit(1);
}
