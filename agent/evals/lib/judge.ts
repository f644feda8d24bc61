/**
 * A rubric scored by a judge model (any OpenAI-compatible Chat Completions endpoint): the
 * transcript and the rubric in, `{score 1–5, reason}` out. A case passes its rubric at the
 * minimum score or above; a judge that cannot answer fails the rubric and says why.
 */
import { redactString } from "@trainer2/shared/logger";
import OpenAI from "openai";
import type { TranscriptTurn } from "./conversation.ts";
import type { Judge } from "./settings.ts";

export type Verdict = { score: number; reason: string; passed: boolean } | { error: string };

const instructions =
  "You grade one conversation between a person and a fitness-coaching assistant (the trainer) " +
  "against a rubric. Read the transcript, then answer with one JSON object and nothing else: " +
  '{"score": <1 to 5, 5 = the rubric is fully met>, "reason": "<one short sentence>"}';

export function transcriptText(transcript: TranscriptTurn[]): string {
  return transcript
    .flatMap((turn) => [
      `Person: ${turn.user}`,
      ...turn.tools.map(
        (call) => `(tool ${call.name} ${JSON.stringify(call.args)} → ${call.status})`,
      ),
      `Trainer: ${turn.answer}`,
    ])
    .join("\n");
}

/** The first `{…}` of the judge's answer, as `{score, reason}`. */
export function parseVerdict(text: string, minScore: number): Verdict {
  const json = text.match(/\{[\s\S]*\}/)?.[0];
  try {
    const parsed = JSON.parse(json ?? "") as { score?: unknown; reason?: unknown };
    const score = Number(parsed.score);
    if (!Number.isInteger(score) || score < 1 || score > 5) throw new Error("no score 1–5");
    return { score, reason: String(parsed.reason ?? ""), passed: score >= minScore };
  } catch {
    return { error: `the judge did not answer with {score, reason}: ${text.slice(0, 200)}` };
  }
}

export async function scoreRubric(
  judge: Judge,
  rubric: string,
  transcript: TranscriptTurn[],
): Promise<Verdict> {
  const client = new OpenAI({ apiKey: judge.apiKey, baseURL: judge.baseURL, maxRetries: 1 });
  try {
    const completion = await client.chat.completions.create({
      model: judge.model,
      temperature: 0,
      messages: [
        { role: "system", content: instructions },
        {
          role: "user",
          content: `Rubric: ${rubric}\n\nTranscript:\n${transcriptText(transcript)}`,
        },
      ],
    });
    return parseVerdict(completion.choices[0]?.message.content ?? "", judge.minScore);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { error: `the judge could not be asked: ${redactString(message)}` };
  }
}
