/**
 * The web's security headers. The Content Security Policy is made per request (proxy.ts), with
 * the nonce Next.js puts on its own scripts; the rest are the same for every response
 * (next.config.ts). Nothing an answer contains can run script, load from elsewhere, or talk
 * to any server but this app and its api.
 */

/** Every response, pages and static files alike. */
export const staticSecurityHeaders = [
  // Nothing about a person's chats (?session=…) travels to another site in a Referer.
  { key: "Referrer-Policy", value: "no-referrer" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  // For browsers without CSP frame-ancestors.
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
];

/** http://host:port → its HTTP and WebSocket origins, the only servers the page may call. */
function apiOrigins(apiUrl: string): string[] {
  const http = new URL(apiUrl);
  const ws = new URL(apiUrl);
  ws.protocol = http.protocol === "https:" ? "wss:" : "ws:";
  return [http.origin, ws.origin];
}

/**
 * Scripts: only those carrying this response's nonce (Next.js's own) and what they load
 * ('strict-dynamic'); no inline script, no eval outside development (React's dev tools need
 * it). Styles: the app's own files and Next's nonce'd ones (any inline style in development,
 * for Next's dev tools). Connections: the app itself and the api. Framed by no one.
 */
export function contentSecurityPolicy(options: {
  nonce: string;
  apiUrl: string;
  development: boolean;
}): string {
  const { nonce, development } = options;
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${development ? " 'unsafe-eval'" : ""}`,
    // Next's dev tools add <style> elements without the nonce (and with a nonce present a
    // browser ignores 'unsafe-inline'): in development only, inline styles are let in.
    development ? "style-src 'self' 'unsafe-inline'" : `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ${apiOrigins(options.apiUrl).join(" ")}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** 128 random bits, base64: unguessable per response. */
export function newNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
}
