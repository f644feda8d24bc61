import { describe, expect, test } from "bun:test";
import { type EnvError, parseEnv } from "@trainer2/shared/config";
import { apiUrl, webEnvSchema } from "./env";

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
});
