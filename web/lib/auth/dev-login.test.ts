import { describe, expect, test } from "bun:test";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import { audiences, importPrivateKey, importPublicKey, issuers } from "@trainer2/shared/tokens";
import { jwtVerify } from "jose";
import { devLoginInput, devMinter, mintDevIdToken } from "./dev-login";

describe("dev login id_token", () => {
  test("is EdDSA (the key's algorithm), for the api's dev audience, sub = dev:<lower-cased email>, 1 h", async () => {
    const keys = await generatePemKeyPair();
    const mint = devMinter(keys.privateKey);
    const { idToken, expiresAt } = await mint({ name: " Ada ", email: "Ada@Example.COM" });
    const { payload, protectedHeader } = await jwtVerify(
      idToken,
      await importPublicKey(keys.publicKey),
      { issuer: issuers.devLogin, audience: audiences.devLogin, algorithms: ["EdDSA"] },
    );
    expect(protectedHeader.alg).toBe("EdDSA");
    expect(payload.sub).toBe("dev:ada@example.com");
    expect(payload.email).toBe("ada@example.com");
    expect(payload.name).toBe("Ada");
    expect(payload.exp).toBe(expiresAt);
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  test("a token signed by another key does not verify", async () => {
    const a = await generatePemKeyPair();
    const b = await generatePemKeyPair();
    const { idToken } = await mintDevIdToken(
      { name: "A", email: "a@b.co" },
      await importPrivateKey(a.privateKey),
    );
    await expect(jwtVerify(idToken, await importPublicKey(b.publicKey))).rejects.toThrow();
  });

  test("input names the bad field", () => {
    const bad = devLoginInput.safeParse({ name: "", email: "nope" });
    expect(bad.success).toBe(false);
    const fields = bad.error?.issues.map((i) => i.path.join("."));
    expect(fields).toEqual(["name", "email"]);
    expect(devLoginInput.parse({ name: "x", email: " x@y.io " }).email).toBe("x@y.io");
  });
});
