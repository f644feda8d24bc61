/**
 * next-auth's errors as one plain line each: which provider, what went wrong, and what to
 * check. next-auth's own logger prints whole error objects, whose HTTP details may carry a
 * client secret or a token; this one prints messages only.
 */
import type { LoggerInstance } from "next-auth";

type Metadata = { error?: unknown; providerId?: unknown; message?: unknown } | Error | undefined;

/** What a person running the app should check, per next-auth error code. */
const hints: Record<string, (provider: string, publicUrl: string) => string> = {
  SIGNIN_OAUTH_ERROR: () =>
    "could not start the sign-in: is the provider's discovery URL (issuer) right and reachable?",
  OAUTH_CALLBACK_ERROR: (provider, publicUrl) =>
    "the provider refused to finish the sign-in: check the client id and secret, and that " +
    `${publicUrl}/api/auth/callback/${provider} is a registered redirect URI`,
};

const messageOf = (error: unknown): string => {
  if (error instanceof AggregateError && error.errors.length > 0) return messageOf(error.errors[0]);
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return typeof error === "string" ? error : "unknown error";
};

export function describeAuthError(code: string, metadata: Metadata, publicUrl: string): string {
  const details = metadata instanceof Error ? { error: metadata } : (metadata ?? {});
  const provider = typeof details.providerId === "string" ? details.providerId : "unknown";
  const hint = hints[code]?.(provider, publicUrl);
  const reason = messageOf(details.error ?? details.message);
  return `[web] sign-in error ${code} (provider ${provider}): ${reason}${hint ? `; ${hint}` : ""}`;
}

export function authLogger(publicUrl: string): Partial<LoggerInstance> {
  return {
    error: (code, metadata) =>
      console.error(describeAuthError(code, metadata as Metadata, publicUrl)),
    warn: (code) => console.warn(`[web] next-auth warning ${code}`),
    debug: () => {},
  };
}
