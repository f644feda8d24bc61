/**
 * The client's IP address, for limits per address. The peer of the TCP connection is the
 * client unless it is one of the configured trusted proxies (TRUSTED_PROXIES): only then is
 * `X-Forwarded-For` read, from its right end, skipping the trusted proxies themselves.
 * Anyone can send that header, so it is never believed from a peer that is not trusted.
 * An entry is an address, or an IPv4 range (`172.16.0.0/12`) for a proxy whose address a
 * container network picks.
 */
import type { Context } from "hono";
import { getConnInfo } from "hono/bun";

/** `::ffff:1.2.3.4` and `1.2.3.4` are one client. */
const normal = (address: string) => address.trim().replace(/^::ffff:/, "");

const ipv4 = (address: string): number | undefined => {
  const parts = address.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) < 256))
    return undefined;
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
};

/** Whether `address` is one of `entries` (addresses, or IPv4 ranges in CIDR notation). */
export function isTrusted(address: string, entries: readonly string[]): boolean {
  const ip = ipv4(address);
  return entries.some((entry) => {
    const [base, bits] = entry.split("/");
    if (bits === undefined) return normal(entry) === address;
    const from = ipv4(base ?? "");
    const width = Number(bits);
    if (ip === undefined || from === undefined || !(width >= 0 && width <= 32)) return false;
    const size = 2 ** (32 - width);
    return Math.floor(ip / size) === Math.floor(from / size);
  });
}

export function clientIpOf(c: Context, trustedProxies: readonly string[]): string {
  let peer: string;
  try {
    peer = normal(getConnInfo(c).remote.address ?? "unknown");
  } catch {
    // Not served by Bun.serve (an app.request in a test): no peer to speak of.
    return "unknown";
  }
  if (trustedProxies.length === 0 || !isTrusted(peer, trustedProxies)) return peer;
  const forwarded = (c.req.header("x-forwarded-for") ?? "").split(",").map(normal);
  for (let i = forwarded.length - 1; i >= 0; i -= 1) {
    const address = forwarded[i];
    if (address && !isTrusted(address, trustedProxies)) return address;
  }
  return peer;
}
