import { describe, expect, test } from "bun:test";
import { type EnvError, parseEnv } from "@trainer2/shared/config";
import { apiUrl, publicUrl, webEnvSchema } from "./env";

const problems = (source: Record<string, string>) => {
  try {
    parseEnv(webEnvSchema, source);
    return [];
  } catch (error) {
    return (error as EnvError).problems;
  }
};

describe("web env", () => {
  test("defaults: api on localhost:8000, dev login off", () => {
    const env = parseEnv(webEnvSchema, {});
    expect(apiUrl(env)).toBe("http://localhost:8000");
    expect(env.AUTH_DEV_LOGIN).toBe(false);
  });

  test("names each bad variable without echoing values", () => {
    const found = problems({
      NEXT_PUBLIC_API_URL: "not a url",
      AUTH_DEV_LOGIN: "true",
      GOOGLE_CLIENT_ID: "id-only",
      NODE_ENV: "production",
      AUTH_DEV_LOGIN_IN_PRODUCTION: "true",
    });
    const names = found.map((p) => p.split(":")[0]);
    expect(names).toEqual([
      "NEXT_PUBLIC_API_URL",
      "DEV_LOGIN_PRIVATE_KEY",
      "GOOGLE_CLIENT_SECRET",
      "NEXTAUTH_SECRET",
    ]);
    expect(found.join(" ")).not.toContain("id-only");
  });

  test("a trailing slash on the api URL is dropped", () => {
    expect(apiUrl(parseEnv(webEnvSchema, { NEXT_PUBLIC_API_URL: "http://api:8000/" }))).toBe(
      "http://api:8000",
    );
  });

  test("the dev login is refused under NODE_ENV=production unless a second variable says so", () => {
    const devLogin = {
      AUTH_DEV_LOGIN: "true",
      DEV_LOGIN_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----",
      NODE_ENV: "production",
      NEXTAUTH_SECRET: "x".repeat(32),
    };
    expect(problems(devLogin)).toEqual([
      "AUTH_DEV_LOGIN: refused when NODE_ENV=production (anyone could sign in as anyone); " +
        "set AUTH_DEV_LOGIN_IN_PRODUCTION=true as well if you really mean it",
    ]);
    expect(problems({ ...devLogin, AUTH_DEV_LOGIN_IN_PRODUCTION: "true" })).toEqual([]);
    expect(problems({ ...devLogin, AUTH_DEV_LOGIN_IN_PRODUCTION: "false" })).toHaveLength(1);
    expect(problems({ ...devLogin, NODE_ENV: "development" })).toEqual([]);
    expect(problems({ ...devLogin, AUTH_DEV_LOGIN: "false" })).toEqual([]);
  });

  test("an OpenID provider needs its issuer, client id and secret together", () => {
    expect(problems({ OIDC_ISSUER: "https://sso.example.com/realms/x" })).toEqual([
      "OIDC_CLIENT_ID: required when any OIDC_* is set",
      "OIDC_CLIENT_SECRET: required when any OIDC_* is set",
    ]);
    expect(problems({ OIDC_CLIENT_ID: "a", OIDC_CLIENT_SECRET: "secret-value" })).toEqual([
      "OIDC_ISSUER: required when any OIDC_* is set",
    ]);
    const found = problems({
      OIDC_ISSUER: "sso.example.com",
      OIDC_CLIENT_ID: "a",
      OIDC_CLIENT_SECRET: "secret-value",
      OIDC_TOKEN_AUTH_METHOD: "private_key_jwt",
    });
    expect(found.map((p) => p.split(":")[0])).toEqual(["OIDC_ISSUER", "OIDC_TOKEN_AUTH_METHOD"]);
    expect(found.join(" ")).not.toContain("secret-value");
  });

  test("one public URL: WEB_ORIGIN (the api's too); NEXTAUTH_URL may only repeat it", () => {
    expect(publicUrl(parseEnv(webEnvSchema, {}))).toBe("http://localhost:3000");
    expect(publicUrl(parseEnv(webEnvSchema, { NEXTAUTH_URL: "", GOOGLE_DISCOVERY_URL: "" }))).toBe(
      "http://localhost:3000",
    );
    const proxied = parseEnv(webEnvSchema, { WEB_ORIGIN: "https://coach.example.com/" });
    expect(publicUrl(proxied)).toBe("https://coach.example.com");
    expect(
      problems({ WEB_ORIGIN: "https://coach.example.com", NEXTAUTH_URL: "http://localhost:3000" }),
    ).toEqual([
      "NEXTAUTH_URL: differs from WEB_ORIGIN: set WEB_ORIGIN only (the api and the web share it)",
    ]);
    expect(
      problems({
        WEB_ORIGIN: "https://coach.example.com",
        NEXTAUTH_URL: "https://coach.example.com",
      }),
    ).toEqual([]);
  });
});
