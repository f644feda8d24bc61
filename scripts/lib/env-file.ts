/** A minimal reader/writer for the generated `.env.dev`: KEY="value" lines, `\n` escaped. */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";

export function readEnvFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const values: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!match) continue;
    let value = match[2]!;
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    values[match[1]!] = value.replace(/\\n/g, "\n");
  }
  return values;
}

export function writeEnvFile(path: string, values: Record<string, string>, header: string) {
  const lines = Object.entries(values).map(
    ([key, value]) => `${key}="${value.replace(/\n/g, "\\n")}"`,
  );
  writeFileSync(path, `${header}\n${lines.join("\n")}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}
