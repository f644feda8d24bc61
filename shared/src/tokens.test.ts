import { describe, expect, test } from "bun:test";
import { decodeProtectedHeader, SignJWT } from "jose";
import { generatePemKeyPair } from "./keys.ts";
import {
  algOf,
  importPrivateKey,
  importPublicKey,
  signAgentJwt,
  signDetached,
  signRunToken,
  verifyAgentJwt,
  verifyDetached,
  verifyRunToken,
} from "./tokens.ts";

async function pair(type: "ed25519" | "rsa" = "ed25519") {
  const pem = await generatePemKeyPair(type);
  return {
    privateKey: await importPrivateKey(pem.privateKey),
    publicKey: await importPublicKey(pem.publicKey),
  };
}

describe("the algorithm follows the key", () => {
  test("Ed25519 keys sign EdDSA, RSA keys RS256; each verifier pins its key's one", async () => {
    const ed = await pair("ed25519");
    const rsa = await pair("rsa");
    expect([algOf(ed.privateKey), algOf(ed.publicKey)]).toEqual(["EdDSA", "EdDSA"]);
    expect([algOf(rsa.privateKey), algOf(rsa.publicKey)]).toEqual(["RS256", "RS256"]);
    const fromEd = await signAgentJwt(ed.privateKey);
    const fromRsa = await signAgentJwt(rsa.privateKey);
    expect(decodeProtectedHeader(fromEd).alg).toBe("EdDSA");
    expect(decodeProtectedHeader(fromRsa).alg).toBe("RS256");
    // A token cannot pick its algorithm: another key type is refused before any signature check.
    await expect(verifyAgentJwt(fromRsa, ed.publicKey)).rejects.toThrow(/algorithm/);
    await expect(verifyAgentJwt(fromEd, rsa.publicKey)).rejects.toThrow(/algorithm/);
  });

  test("a key that is neither is refused by name, without echoing it", async () => {
    const notAKey = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----";
    const refused = importPrivateKey(notAKey);
    await expect(refused).rejects.toThrow("expected an Ed25519 or RSA private key in PEM (PKCS#8)");
    await expect(refused).rejects.not.toThrow(/c2VjcmV0/);
    await expect(importPublicKey("nope")).rejects.toThrow(/Ed25519 or RSA public key/);
  });
});

describe.each(["ed25519", "rsa"] as const)("service tokens (%s keys)", (type) => {
  test("agent JWT round-trips and refuses another key or a long lifetime", async () => {
    const a = await pair(type);
    const b = await pair(type);
    await verifyAgentJwt(await signAgentJwt(a.privateKey), a.publicKey);
    await expect(verifyAgentJwt(await signAgentJwt(b.privateKey), a.publicKey)).rejects.toThrow(
      /signature/,
    );
    await expect(
      verifyAgentJwt(await signAgentJwt(a.privateKey, 3600), a.publicKey),
    ).rejects.toThrow(/longer/);
  });

  test("run token carries user, session and run; wrong audience is refused", async () => {
    const a = await pair(type);
    const claims = {
      userId: crypto.randomUUID(),
      sessionId: crypto.randomUUID(),
      runId: crypto.randomUUID(),
    };
    expect(await verifyRunToken(await signRunToken(claims, a.privateKey), a.publicKey)).toEqual(
      claims,
    );
    const agentToken = await signAgentJwt(a.privateKey);
    await expect(verifyRunToken(agentToken, a.publicKey)).rejects.toThrow();
    const hs = await new SignJWT({ sid: "x", rid: "y" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("u")
      .sign(new TextEncoder().encode("secret"));
    await expect(verifyRunToken(hs, a.publicKey)).rejects.toThrow();
  });

  test("detached signature verifies the exact body only", async () => {
    const a = await pair(type);
    const body = JSON.stringify({ version: "v1", tools: [] });
    const signature = await signDetached(body, a.privateKey);
    expect(signature).toMatch(/^[\w-]+\.\.[\w-]+$/);
    await verifyDetached(body, signature, a.publicKey);
    await expect(verifyDetached(`${body} `, signature, a.publicKey)).rejects.toThrow(/signature/);
  });
});
