/** Where the services the stack starts live. */
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dir, "../..");
export const webDir = join(repoRoot, "web");
