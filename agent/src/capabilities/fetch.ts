/**
 * One `GET /capabilities` round trip: a fresh agent JWT, `If-None-Match` with the last ETag,
 * the api's detached signature checked over the exact body bytes before anything is parsed.
 */
import { AppError } from "@trainer2/shared/errors";
import { type KeyLike, signAgentJwt, verifyDetached } from "@trainer2/shared/tokens";
import {
  type Capabilities,
  capabilitiesDto,
  headers,
  toolNamePattern,
} from "@trainer2/shared/wire";

export type FetchOptions = {
  apiUrl: string;
  agentPrivateKey: KeyLike;
  apiPublicKey: KeyLike;
  etag?: string | undefined;
  timeoutMs?: number;
};

export type FetchResult =
  | { status: "not_modified" }
  | {
      status: "ok";
      capabilities: Capabilities;
      etag: string;
      /** When the api signed it (seconds since the epoch, from the signature). */
      signedAt: number;
    };

/** Table names become file names, as tool names do: only the tools' safe shape is accepted. */
const safeName = toolNamePattern;

function unavailable(message: string, cause?: unknown) {
  return new AppError("unavailable", message, { cause });
}

export async function fetchCapabilities(options: FetchOptions): Promise<FetchResult> {
  const token = await signAgentJwt(options.agentPrivateKey);
  const requestHeaders: Record<string, string> = { authorization: `Bearer ${token}` };
  if (options.etag) requestHeaders["if-none-match"] = options.etag;
  let response: Response;
  try {
    response = await fetch(new URL("/capabilities", options.apiUrl), {
      headers: requestHeaders,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    throw unavailable("the api did not answer GET /capabilities", error);
  }
  if (response.status === 304) return { status: "not_modified" };
  const body = await response.text();
  if (!response.ok)
    throw unavailable(`GET /capabilities answered ${response.status}`, body.slice(0, 200));
  const signature = response.headers.get(headers.capabilitiesSignature);
  if (!signature) throw unavailable("the capabilities document is not signed");
  let claims: Record<string, unknown>;
  try {
    claims = await verifyDetached(body, signature, options.apiPublicKey);
  } catch (error) {
    throw unavailable("the capabilities signature does not verify with API_PUBLIC_KEY", error);
  }
  // Older signatures carry neither: such a document can be a replay of any old one.
  const signedAt = claims.iat;
  if (typeof claims.ver !== "string" || typeof signedAt !== "number")
    throw unavailable("the capabilities signature names no version or time");
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw unavailable("the capabilities document is not JSON", error);
  }
  const parsed = capabilitiesDto.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw unavailable(
      `the capabilities document is invalid at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
    );
  }
  const bad = parsed.data.tables.find((table) => !safeName.test(table.name));
  if (bad) throw unavailable(`table name ${JSON.stringify(bad.name)} is not a safe file name`);
  // One file per name, and the SDK refuses an agent with two tools of one name.
  for (const [kind, names] of [
    ["tool", parsed.data.tools.map((tool) => tool.name)],
    ["table", parsed.data.tables.map((table) => table.name)],
  ] as const) {
    const twice = names.find((name, index) => names.indexOf(name) !== index);
    if (twice) throw unavailable(`${kind} name ${JSON.stringify(twice)} appears more than once`);
  }
  if (claims.ver !== parsed.data.version)
    throw unavailable("the capabilities signature names another version than the document");
  const etag = response.headers.get("etag") ?? `"${parsed.data.version}"`;
  return { status: "ok", capabilities: parsed.data, etag, signedAt };
}
