/** Environment of the standalone offline model (`bun run --cwd agent offline-model`). */
import { loadEnvOrExit, port, wholeNumber } from "@trainer2/shared/config";
import { z } from "zod";

export const offlineModelEnvSchema = z.object({
  PORT: port(9100),
  HOST: z.string().default("127.0.0.1"),
  OFFLINE_MODEL_DELAY_MS: wholeNumber(0, 10_000, 30),
});

export const readOfflineModelEnv = () =>
  loadEnvOrExit("offline-model", offlineModelEnvSchema, process.env);
