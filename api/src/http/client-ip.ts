/**
 * The client's IP address, for limits per address. The peer of the TCP connection is the
 * client unless it is one of the configured trusted proxies (TRUSTED_PROXIES): only then is
 * `X-Forwarded-For` read, from its right end, skipping the trusted proxies themselves.
 * Anyone can send that header, so it is never believed from a peer that is not trusted.
 */
import type { Context } from "hono";
import { getConnInfo } from "hono/bun";

/** `::ffff:1.2.3.4` and `1.2.3.4` are one client. */
const normal = (address: string) => address.trim().replace(/^::ffff:/, "");

export function clientIpOf(c: Context, trustedProxies: readonly string[]): string {
  let peer: string;
  try {
    peer = normal(getConnInfo(c).remote.address ?? "unknown");
  } catch {
    // Not served by Bun.serve (an app.request in a test): no peer to speak of.
    return "unknown";
  }
  if (trustedProxies.length === 0) return peer;
  const trusted = new Set(trustedProxies.map(normal));
  if (!trusted.has(peer)) return peer;
  const forwarded = (c.req.header("x-forwarded-for") ?? "").split(",").map(normal);
  for (let i = forwarded.length - 1; i >= 0; i -= 1) {
    const address = forwarded[i];
    if (address && !trusted.has(address)) return address;
  }
  return peer;
}
