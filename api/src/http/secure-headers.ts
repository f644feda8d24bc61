import { secureHeaders } from "hono/secure-headers";

/**
 * hono/secure-headers' defaults (nosniff, no referrer, DENY-like framing, COOP/CORP…) plus a
 * policy for a service that serves no page at all. CORP stays `same-origin`: it binds no-cors
 * loads only, and the browser reads this api by CORS.
 */
const options: Parameters<typeof secureHeaders>[0] = {
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  xFrameOptions: "DENY",
};

/** The api answers JSON only: nothing of it may run as a page, be framed, or be sniffed. */
export const apiSecureHeaders = () => secureHeaders(options);
