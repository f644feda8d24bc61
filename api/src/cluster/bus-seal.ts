/**
 * Authenticating the bus. Any role that can log in to the database can NOTIFY on the bus's
 * channel (and LISTEN to it), so a payload proves it comes from an api process with an HMAC
 * over its text, and carries its sender, a counter and the time it was sent, so a payload
 * copied from the channel and sent again is refused too.
 *
 * The key: every api process already holds API_PRIVATE_KEY (each signs run tokens and the
 * capabilities that every other process must accept, so a deployment cannot run without
 * giving all of them the same one), no other service holds it (the agent and the web have
 * only the public key), and it never reaches the database. The bus key is derived from it
 * with HKDF under a label of its own, so the HMAC key is never the signing key itself, and
 * rotating API_PRIVATE_KEY rotates the bus key with it, with no new secret to distribute.
 */
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

const signatureLength = 43; // base64url of 32 bytes, without padding

/** The bus's HMAC key, derived from the api's private key (PEM text). */
export function busKeyFrom(apiPrivateKeyPem: string): Buffer {
  const material = Buffer.from(apiPrivateKeyPem.trim(), "utf8");
  return Buffer.from(hkdfSync("sha256", material, "trainer2", "trainer2 bus hmac v1", 32));
}

const sign = (key: Buffer, body: string) =>
  createHmac("sha256", key).update(body, "utf8").digest("base64url");

/** `body` as a payload: its signature, a dot, then the body. */
export function seal(key: Buffer, body: string): string {
  return `${sign(key, body)}.${body}`;
}

/** The body of a payload with a valid signature; undefined for anything else. */
export function unseal(key: Buffer, payload: string): string | undefined {
  if (payload.length <= signatureLength || payload[signatureLength] !== ".") return undefined;
  const given = Buffer.from(payload.slice(0, signatureLength), "utf8");
  const body = payload.slice(signatureLength + 1);
  const expected = Buffer.from(sign(key, body), "utf8");
  return given.length === expected.length && timingSafeEqual(given, expected) ? body : undefined;
}

/**
 * Refuses payloads older than `windowMs` (by the sender's clock) and any payload whose
 * counter is not above the last one seen from its sender (a sender's payloads arrive in the
 * order it numbered them). Senders unheard of for a window are forgotten: a payload that old
 * is refused by its age anyway.
 */
export class ReplayGuard {
  readonly #last = new Map<string, { n: number; heardAt: number }>();
  #sweptAt = Date.now();

  constructor(private readonly windowMs = 120_000) {}

  accept(sender: string, n: number, sentAt: number, now = Date.now()): boolean {
    this.#sweep(now);
    if (Math.abs(now - sentAt) > this.windowMs) return false;
    const last = this.#last.get(sender);
    if (last && n <= last.n) return false;
    this.#last.set(sender, { n, heardAt: now });
    return true;
  }

  #sweep(now: number): void {
    if (now - this.#sweptAt < this.windowMs) return;
    this.#sweptAt = now;
    for (const [sender, last] of this.#last)
      if (now - last.heardAt > this.windowMs) this.#last.delete(sender);
  }
}
