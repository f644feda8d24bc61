/** Ports on this machine: one nothing listens on yet, and whether a fixed one is taken. */
import { createServer } from "node:net";

/**
 * A loopback port the OS just handed out and took back: free now, for a child to listen on.
 * Another process could take it before the child does; on a test machine that does not happen.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when nothing listens on `port` on any interface (bun dev's fixed ports). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}
