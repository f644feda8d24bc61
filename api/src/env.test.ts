import { describe, expect, test } from "bun:test";
import { EnvError, parseEnv } from "@trainer2/shared/config";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import { envSchema, oidcIdentity, realtimeSettingsOf } from "./env.ts";

const keys = await generatePemKeyPair();
const base = {
  DATABASE_URL: "postgres://postgres@127.0.0.1:5432/postgres",
  API_PRIVATE_KEY: keys.privateKey,
  API_PUBLIC_KEY: keys.publicKey,
  AGENT_PUBLIC_KEY: keys.publicKey,
  GOOGLE_CLIENT_ID: "client.apps.googleusercontent.com",
};

function problemsOf(source: Record<string, string | undefined>): string[] {
  try {
    parseEnv(envSchema, source);
    return [];
  } catch (error) {
    if (error instanceof EnvError) return error.problems;
    throw error;
  }
}

describe("api environment", () => {
  test("defaults: port 8000, the local agent and web app, dev login off", () => {
    const env = parseEnv(envSchema, base);
    expect(env).toMatchObject({
      PORT: 8000,
      AGENT_URL: "http://localhost:9000",
      WEB_ORIGIN: "http://localhost:3000",
      AUTH_DEV_LOGIN: false,
      LOG_LEVEL: "info",
    });
  });

  test("a pending approval waits an hour unless APPROVAL_TIMEOUT_S says otherwise", () => {
    expect(realtimeSettingsOf(parseEnv(envSchema, base))).toEqual({
      checkpointIntervalMs: 250,
      approvalTimeoutMs: 3_600_000,
    });
    const tenMinutes = parseEnv(envSchema, { ...base, APPROVAL_TIMEOUT_S: "600" });
    expect(realtimeSettingsOf(tenMinutes).approvalTimeoutMs).toBe(600_000);
    for (const bad of ["0", "soon", "2592001"])
      expect(problemsOf({ ...base, APPROVAL_TIMEOUT_S: bad }).map((p) => p.split(":")[0])).toEqual([
        "APPROVAL_TIMEOUT_S",
      ]);
  });

  test("every bad or missing variable is named, and no value is echoed", () => {
    const problems = problemsOf({
      PORT: "eighty",
      DATABASE_URL: "mysql://nope",
      API_PRIVATE_KEY: "super-secret-value",
      AGENT_URL: "not a url",
    });
    const named = problems.map((p) => p.split(":")[0]);
    for (const name of [
      "PORT",
      "DATABASE_URL",
      "API_PRIVATE_KEY",
      "API_PUBLIC_KEY",
      "AGENT_PUBLIC_KEY",
      "AGENT_URL",
    ])
      expect(named).toContain(name);
    expect(problems.join("\n")).not.toContain("super-secret-value");
  });

  test("a partial OIDC configuration names what is missing", () => {
    const problems = problemsOf({ ...base, OIDC_ISSUER: "https://id.example.com" });
    expect(problems).toEqual([
      "OIDC_CLIENT_ID: required when OIDC_ISSUER is set (the audience of its id_tokens)",
    ]);
    expect(problemsOf({ ...base, OIDC_CLIENT_ID: "trainer2" })).toEqual([
      "OIDC_ISSUER: required when any OIDC_* is set",
    ]);
    expect(problemsOf({ ...base, OIDC_JWKS_URL: "https://id.example.com/keys" })).toEqual([
      "OIDC_ISSUER: required when any OIDC_* is set",
    ]);
  });

  test("the web's OIDC_CLIENT_ID is the audience; the keys come from discovery unless named", () => {
    const issuer = "https://id.example.com/realms/trainer2";
    const same = parseEnv(envSchema, { ...base, OIDC_ISSUER: issuer, OIDC_CLIENT_ID: "trainer2" });
    expect(oidcIdentity(same)).toEqual({ issuer, audience: "trainer2" });
    const overridden = parseEnv(envSchema, {
      ...base,
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: "trainer2",
      OIDC_AUDIENCE: "api://trainer2",
      OIDC_JWKS_URL: `${issuer}/certs`,
    });
    expect(oidcIdentity(overridden)).toEqual({
      issuer,
      audience: "api://trainer2",
      jwksUrl: `${issuer}/certs`,
    });
    expect(oidcIdentity(parseEnv(envSchema, base))).toBeUndefined();
    // compose passes unset variables as blanks: blank is unset, not "not a URL".
    const blanks = { OIDC_JWKS_URL: "", GOOGLE_DISCOVERY_URL: "", OIDC_AUDIENCE: "" };
    expect(problemsOf({ ...base, ...blanks, OIDC_ISSUER: issuer, OIDC_CLIENT_ID: "x" })).toEqual(
      [],
    );
    // An OIDC issuer alone is a sign-in method: no Google, no dev login needed.
    const { GOOGLE_CLIENT_ID: _, ...noGoogle } = base;
    expect(problemsOf({ ...noGoogle, OIDC_ISSUER: issuer, OIDC_CLIENT_ID: "x" })).toEqual([]);
  });

  test("dev login is refused under NODE_ENV=production unless a second variable says so", () => {
    const devLogin = {
      ...base,
      AUTH_DEV_LOGIN: "true",
      DEV_LOGIN_PUBLIC_KEY: keys.publicKey,
      NODE_ENV: "production",
    };
    expect(problemsOf(devLogin)).toEqual([
      "AUTH_DEV_LOGIN: refused when NODE_ENV=production (anyone could sign in as anyone); " +
        "set AUTH_DEV_LOGIN_IN_PRODUCTION=true as well if you really mean it",
    ]);
    expect(problemsOf({ ...devLogin, AUTH_DEV_LOGIN_IN_PRODUCTION: "true" })).toEqual([]);
    expect(problemsOf({ ...devLogin, NODE_ENV: "development" })).toEqual([]);
    expect(problemsOf({ ...devLogin, AUTH_DEV_LOGIN: "false" })).toEqual([]);
  });

  test("dev login needs its public key; some sign-in must be configured", () => {
    expect(problemsOf({ ...base, AUTH_DEV_LOGIN: "true" })).toEqual([
      "DEV_LOGIN_PUBLIC_KEY: required when AUTH_DEV_LOGIN=true",
    ]);
    const { GOOGLE_CLIENT_ID: _, ...noSignIn } = base;
    expect(problemsOf(noSignIn)[0]).toContain("no sign-in configured");
    const devOnly = parseEnv(envSchema, {
      ...noSignIn,
      AUTH_DEV_LOGIN: "true",
      DEV_LOGIN_PUBLIC_KEY: keys.publicKey.replaceAll("\n", "\\n"),
    });
    expect(devOnly.AUTH_DEV_LOGIN).toBe(true);
  });
});

describe("the OpenID issuer", () => {
  test("must be https, except on loopback (a provider on this machine)", () => {
    const problems = (issuer: string) =>
      problemsOf({ ...base, OIDC_ISSUER: issuer, OIDC_CLIENT_ID: "x" }).map((p) => p.split(":")[0]);
    for (const fine of [
      "https://id.example.com/realms/x",
      "http://localhost:8080/realms/trainer2",
      "http://127.0.0.1:4000",
      "http://[::1]:4000",
    ])
      expect([fine, problems(fine)]).toEqual([fine, []]);
    for (const bad of ["http://id.example.com", "http://keycloak:8080/realms/x", "ftp://x", "x"])
      expect([bad, problems(bad)]).toEqual([bad, ["OIDC_ISSUER"]]);
  });
});
