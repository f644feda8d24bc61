/** Runs the offline dev model on its own (for compose, or to point another client at it). */
import { readOfflineModelEnv } from "./env.ts";
import { startOfflineModel } from "./server.ts";

const env = readOfflineModelEnv();
const model = startOfflineModel({
  port: env.PORT,
  hostname: env.HOST,
  delayMs: env.OFFLINE_MODEL_DELAY_MS,
});
console.log(`[offline-model] OpenAI-compatible dev model listening at ${model.baseURL}`);

const stop = async () => {
  await model.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
