/**
 * The one place the Agents SDK's tracing is configured. The SDK keeps its processors
 * process-wide and, left alone, uploads every trace (with the API key) to OpenAI: here its
 * list is replaced by the GenAI bridge, and OpenAI's exporter comes back only when the
 * operator asks for it (OPENAI_TRACING). The SDK's spans stay on either way, since they are
 * what the bridge turns into OpenTelemetry spans. Several agents in one process (tests)
 * share the bridge; each run binds its own telemetry to it.
 */
import {
  addTraceProcessor,
  setDefaultOpenAITracingExporter,
  setTraceProcessors,
  setTracingDisabled,
} from "@openai/agents";
import { GenAiSpanBridge } from "./genai-bridge.ts";

const bridge = new GenAiSpanBridge();
let uploading: boolean | undefined;

export function installGenAiTracing(options: { uploadToOpenAI: boolean }): GenAiSpanBridge {
  setTracingDisabled(false);
  if (uploading !== options.uploadToOpenAI) {
    if (options.uploadToOpenAI) {
      setDefaultOpenAITracingExporter();
      addTraceProcessor(bridge);
    } else setTraceProcessors([bridge]);
    uploading = options.uploadToOpenAI;
  }
  return bridge;
}
