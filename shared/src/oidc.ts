/**
 * OpenID Connect discovery, shared by the web (where to send people, where to refresh) and
 * the api (where the signing keys are), so both read one issuer the same way. The provider's
 * document is the edge of the world: parsed with zod, and a failure says which URL and why,
 * never more (no secrets ever travel here).
 */
import { z } from "zod";

export const googleIssuer = "https://accounts.google.com";
export const googleDiscoveryUrl = `${googleIssuer}/.well-known/openid-configuration`;

/** `<issuer>/.well-known/openid-configuration`; a trailing slash (Auth0's) is not doubled. */
export function discoveryUrlOf(issuer: string): string {
  return `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
}

export const discoveryDocument = z.object({
  issuer: z.string().min(1),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
  end_session_endpoint: z.url().optional(),
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
});
export type DiscoveryDocument = z.infer<typeof discoveryDocument>;

/** Why a discovery failed: unreachable (maybe temporary) or a document that is not one. */
export class DiscoveryError extends Error {
  constructor(
    message: string,
    readonly reason: "unreachable" | "bad_document",
  ) {
    super(message);
    this.name = "DiscoveryError";
  }
}

export type DiscoveryOptions = {
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** When set, the document's `issuer` must be exactly this (OpenID Connect Discovery §4.3). */
  expectIssuer?: string;
};

export async function fetchDiscovery(
  url: string,
  options: DiscoveryOptions = {},
): Promise<DiscoveryDocument> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
  } catch (cause) {
    const why = (cause as Error).name === "TimeoutError" ? "timed out" : "unreachable";
    throw new DiscoveryError(`OpenID discovery at ${url} ${why}`, "unreachable");
  }
  if (!response.ok)
    throw new DiscoveryError(
      `OpenID discovery at ${url} answered HTTP ${response.status}`,
      response.status >= 500 ? "unreachable" : "bad_document",
    );
  const parsed = discoveryDocument.safeParse(await response.json().catch(() => null));
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join(".") || "body";
    throw new DiscoveryError(
      `OpenID discovery at ${url} is not a discovery document (${field})`,
      "bad_document",
    );
  }
  if (options.expectIssuer !== undefined && parsed.data.issuer !== options.expectIssuer)
    throw new DiscoveryError(
      `OpenID discovery at ${url} names issuer ${parsed.data.issuer}, not ${options.expectIssuer}`,
      "bad_document",
    );
  return parsed.data;
}

/**
 * One discovery per URL, fetched on first use and kept for `maxAgeMs`; a failure is not kept,
 * so the next caller tries again (a provider that was down at start is used once it is up).
 */
export function cachedDiscovery(
  url: string,
  options: DiscoveryOptions & { maxAgeMs?: number; now?: () => number } = {},
): () => Promise<DiscoveryDocument> {
  const maxAgeMs = options.maxAgeMs ?? 60 * 60 * 1000;
  const now = options.now ?? Date.now;
  let cached: { document: Promise<DiscoveryDocument>; at: number } | undefined;
  return () => {
    if (cached && now() - cached.at < maxAgeMs) return cached.document;
    const document = fetchDiscovery(url, options);
    const entry = { document, at: now() };
    cached = entry;
    document.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return document;
  };
}
