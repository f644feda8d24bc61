/**
 * Runs once when the server starts (not during `next build`): a bad environment (a refused dev
 * login, half an OpenID provider, two public URLs) stops the web at once with every problem
 * named, instead of a 500 on the first page. Node only (the check exits the process).
 * NEXT_RUNTIME is read here, not through lib/env.ts, on purpose: Next replaces this exact
 * expression at build time, which keeps the Node-only module out of the edge bundle.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") await import("./instrumentation-node");
}
