/**
 * The web app's environment, parsed once on first use (never at import: `next build`
 * imports route modules without the runtime environment). The only module reading
 * process.env besides Next's own NEXT_PUBLIC_* inlining.
 */
import {
  blankAsUnset,
  boolFlag,
  devLoginRefused,
  devLoginRefusedMessage,
  optionalIssuerUrl,
  optionalPem,
  optionalString,
  optionalUrl,
  parseEnv,
  url,
} from "@trainer2/shared/config";
import { z } from "zod";

export const tokenAuthMethods = ["client_secret_basic", "client_secret_post"] as const;

export const webEnvSchema = z
  .object({
    NODE_ENV: optionalString,
    NEXT_PUBLIC_API_URL: url.default("http://localhost:8000"),
    /** The web's public URL, as the browser sees it; the api's CORS reads the same variable. */
    WEB_ORIGIN: url.default("http://localhost:3000"),
    /** Still honoured; when set it must be WEB_ORIGIN (one public URL, not two). */
    NEXTAUTH_URL: optionalUrl,
    NEXTAUTH_SECRET: optionalString,
    GOOGLE_CLIENT_ID: optionalString,
    GOOGLE_CLIENT_SECRET: optionalString,
    /** Where Google's discovery document is; a test points it at a local Google. */
    GOOGLE_DISCOVERY_URL: optionalUrl,
    // Any OpenID provider (Keycloak, Auth0, Entra ID, Okta…); the api reads the same names.
    // https, or http on loopback only: the api refuses the same (shared/config.ts).
    OIDC_ISSUER: optionalIssuerUrl,
    OIDC_CLIENT_ID: optionalString,
    OIDC_CLIENT_SECRET: optionalString,
    OIDC_SCOPES: blankAsUnset(z.string().default("openid email profile offline_access")),
    /** The button says "Sign in with <OIDC_NAME>". */
    OIDC_NAME: blankAsUnset(z.string().trim().min(1).max(40).default("OpenID Connect")),
    OIDC_TOKEN_AUTH_METHOD: blankAsUnset(z.enum(tokenAuthMethods).default("client_secret_basic")),
    AUTH_DEV_LOGIN: boolFlag(false),
    AUTH_DEV_LOGIN_IN_PRODUCTION: boolFlag(false),
    DEV_LOGIN_PRIVATE_KEY: optionalPem("PRIVATE"),
  })
  .superRefine((env, ctx) => {
    if (devLoginRefused(env))
      ctx.addIssue({ code: "custom", path: ["AUTH_DEV_LOGIN"], message: devLoginRefusedMessage });
    const oidc = { OIDC_CLIENT_ID: env.OIDC_CLIENT_ID, OIDC_CLIENT_SECRET: env.OIDC_CLIENT_SECRET };
    const anyOidc = Boolean(env.OIDC_ISSUER) || Object.values(oidc).some(Boolean);
    for (const [name, value] of Object.entries({ OIDC_ISSUER: env.OIDC_ISSUER, ...oidc }))
      if (anyOidc && !value)
        ctx.addIssue({ code: "custom", path: [name], message: "required when any OIDC_* is set" });
    if (env.NEXTAUTH_URL && new URL(env.NEXTAUTH_URL).origin !== new URL(env.WEB_ORIGIN).origin)
      ctx.addIssue({
        code: "custom",
        path: ["NEXTAUTH_URL"],
        message: "differs from WEB_ORIGIN: set WEB_ORIGIN only (the api and the web share it)",
      });
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

/** The web's public URL (NEXTAUTH_URL, else WEB_ORIGIN). */
export function publicUrl(env: WebEnv = webEnv()): string {
  return new URL(env.NEXTAUTH_URL ?? env.WEB_ORIGIN).origin;
}

/**
 * next-auth 4 reads its public URL (redirect_uri, cookie names, redirects) from
 * process.env.NEXTAUTH_URL only: derived here from WEB_ORIGIN, the one the api's CORS reads
 * too, when it is not set (auth/options.ts calls this before building the options).
 */
export function exposePublicUrlToNextAuth(env: WebEnv = webEnv()): void {
  if (!process.env.NEXTAUTH_URL) process.env.NEXTAUTH_URL = publicUrl(env);
}

/** `next dev`: the policy then lets in what Next's dev tools add (see security-headers.ts). */
export function isDevelopment(env: WebEnv = webEnv()): boolean {
  return env.NODE_ENV === "development";
}

/** The api's public base URL without a trailing slash. */
export function apiUrl(env: WebEnv = webEnv()): string {
  return env.NEXT_PUBLIC_API_URL.replace(/\/+$/, "");
}
