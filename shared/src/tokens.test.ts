import { describe, expect, test } from "bun:test";
import { exportPKCS8, exportSPKI, generateKeyPair, SignJWT } from "jose";
import {
  importPrivateKey,
  importPublicKey,
  signAgentJwt,
  signDetached,
  signRunToken,
  verifyAgentJwt,
  verifyDetached,
  verifyRunToken,
} from "./tokens.ts";

async function pair() {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  return {
    privateKey: await importPrivateKey(await exportPKCS8(privateKey)),
    publicKey: await importPublicKey(await exportSPKI(publicKey)),
  };
}

describe("service tokens", () => {
  test("agent JWT round-trips and refuses another key or a long lifetime", async () => {
    const a = await pair();
    const b = await pair();
    await verifyAgentJwt(await signAgentJwt(a.privateKey), a.publicKey);
    await expect(verifyAgentJwt(await signAgentJwt(b.privateKey), a.publicKey)).rejects.toThrow(
      /signature/,
    );
    await expect(
      verifyAgentJwt(await signAgentJwt(a.privateKey, 3600), a.publicKey),
    ).rejects.toThrow(/longer/);
  });

  test("run token carries user, session and run; wrong audience is refused", async () => {
    const a = await pair();
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
    const a = await pair();
    const body = JSON.stringify({ version: "v1", tools: [] });
    const signature = await signDetached(body, a.privateKey);
    expect(signature).toMatch(/^[\w-]+\.\.[\w-]+$/);
    await verifyDetached(body, signature, a.publicKey);
    await expect(verifyDetached(`${body} `, signature, a.publicKey)).rejects.toThrow(/signature/);
  });
});
