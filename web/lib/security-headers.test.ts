import { describe, expect, test } from "bun:test";
import { contentSecurityPolicy, newNonce, staticSecurityHeaders } from "./security-headers";

const directives = (policy: string) =>
  Object.fromEntries(
    policy.split("; ").map((part) => {
      const [name, ...values] = part.split(" ");
      return [name, values.join(" ")];
    }),
  );

describe("the web's Content Security Policy", () => {
  test("scripts by nonce only, the api's HTTP and WebSocket origins, framed by no one", () => {
    const policy = directives(
      contentSecurityPolicy({
        nonce: "abc",
        apiUrl: "https://api.example.com/v1",
        development: false,
      }),
    );
    expect(policy["script-src"]).toBe("'self' 'nonce-abc' 'strict-dynamic'");
    expect(policy["connect-src"]).toBe("'self' https://api.example.com wss://api.example.com");
    expect(policy["frame-ancestors"]).toBe("'none'");
    expect(policy["object-src"]).toBe("'none'");
    expect(JSON.stringify(policy)).not.toContain("unsafe-inline");
  });

  test("eval only in development (React's dev tools), ws for a plain-HTTP api", () => {
    const policy = directives(
      contentSecurityPolicy({ nonce: "n", apiUrl: "http://127.0.0.1:8000", development: true }),
    );
    expect(policy["script-src"]).toContain("'unsafe-eval'");
    expect(policy["style-src"]).toBe("'self' 'unsafe-inline'");
    expect(policy["connect-src"]).toBe("'self' http://127.0.0.1:8000 ws://127.0.0.1:8000");
  });

  test("a fresh nonce each time; the fixed headers name referrer and sniffing", () => {
    expect(newNonce()).not.toBe(newNonce());
    expect(Buffer.from(newNonce(), "base64")).toHaveLength(16);
    const names = staticSecurityHeaders.map((header) => header.key);
    expect(names).toEqual(expect.arrayContaining(["Referrer-Policy", "X-Content-Type-Options"]));
  });
});
