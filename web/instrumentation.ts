/**
 * Runs once when the server starts (not during `next build`): a bad environment (a refused dev
 * login, half an OpenID provider, two public URLs) stops the web at once with every problem
 * named, instead of a 500 on the first page.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { webEnv } = await import("./lib/env");
  try {
    webEnv();
  } catch (error) {
    console.error(`[web] cannot start. ${(error as Error).message}`);
    process.exit(1);
  }
}
