/**
 * The web app's environment, parsed once on first use (never at import: `next build`
 * imports route modules without the runtime environment). The only module reading
 * process.env besides Next's own NEXT_PUBLIC_* inlining.
 */
import { boolFlag, optionalPem, optionalString, parseEnv, url } from "@trainer2/shared/config";
import { z } from "zod";

export const webEnvSchema = z
  .object({
    NODE_ENV: optionalString,
    NEXT_PUBLIC_API_URL: url.default("http://localhost:8000"),
    NEXTAUTH_URL: url.optional(),
    NEXTAUTH_SECRET: optionalString,
    GOOGLE_CLIENT_ID: optionalString,
    GOOGLE_CLIENT_SECRET: optionalString,
    AUTH_DEV_LOGIN: boolFlag(false),
    DEV_LOGIN_PRIVATE_KEY: optionalPem("PRIVATE"),
  })
  .superRefine((env, ctx) => {
    if (env.AUTH_DEV_LOGIN && !env.DEV_LOGIN_PRIVATE_KEY)
      ctx.addIssue({
        code: "custom",
        path: ["DEV_LOGIN_PRIVATE_KEY"],
        message: "required when AUTH_DEV_LOGIN=true",
      });
    if (Boolean(env.GOOGLE_CLIENT_ID) !== Boolean(env.GOOGLE_CLIENT_SECRET))
      ctx.addIssue({
        code: "custom",
        path: [env.GOOGLE_CLIENT_ID ? "GOOGLE_CLIENT_SECRET" : "GOOGLE_CLIENT_ID"],
        message: "GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET go together",
      });
    if (env.NODE_ENV === "production" && (env.NEXTAUTH_SECRET?.length ?? 0) < 16)
      ctx.addIssue({
        code: "custom",
        path: ["NEXTAUTH_SECRET"],
        message: "required in production (at least 16 characters)",
      });
  });

export type WebEnv = z.infer<typeof webEnvSchema>;

let cached: WebEnv | undefined;

/** Throws EnvError naming every bad variable (values are never echoed). */
export function webEnv(): WebEnv {
  cached ??= parseEnv(webEnvSchema, process.env);
  return cached;
}

/** The api's public base URL without a trailing slash. */
export function apiUrl(env: WebEnv = webEnv()): string {
  return env.NEXT_PUBLIC_API_URL.replace(/\/+$/, "");
}
