/** RS256 key pairs as PEM text: for `bun run keys` and for tests that need fresh keys. */
import { exportPKCS8, exportSPKI, generateKeyPair } from "jose";

export type PemKeyPair = { privateKey: string; publicKey: string };

export async function generatePemKeyPair(): Promise<PemKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", {
    modulusLength: 2048,
    extractable: true,
  });
  return { privateKey: await exportPKCS8(privateKey), publicKey: await exportSPKI(publicKey) };
}
