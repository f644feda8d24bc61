/**
 * Runs once when the server starts (not during `next build`): a bad environment (a refused dev
 * login, half an OpenID provider, two public URLs) stops the web at once with every problem
 * named, instead of a 500 on the first page. Node only (the check exits the process).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") await import("./instrumentation-node");
}
