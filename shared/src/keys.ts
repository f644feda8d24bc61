/**
 * Service key pairs as PEM text: for `bun run keys` and for tests that need fresh keys.
 * Ed25519 by default (tokens signed with it are EdDSA: see tokens.ts); RSA on request, for a
 * deployment's older keys and the tests that prove those still work.
 */
import { exportPKCS8, exportSPKI, generateKeyPair } from "jose";

export type PemKeyPair = { privateKey: string; publicKey: string };

export async function generatePemKeyPair(type: "ed25519" | "rsa" = "ed25519"): Promise<PemKeyPair> {
  const { privateKey, publicKey } =
    type === "rsa"
      ? await generateKeyPair("RS256", { modulusLength: 2048, extractable: true })
      : await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  return { privateKey: await exportPKCS8(privateKey), publicKey: await exportSPKI(publicKey) };
}
