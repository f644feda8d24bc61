import { describe, expect, test } from "bun:test";
import { readEvalSettings } from "./settings.ts";

describe("eval settings from the environment", () => {
  test("no key: the offline model, free, no judge, nothing pushed", () => {
    expect(readEvalSettings({})).toEqual({
      model: { kind: "offline", api: "chat_completions", delayMs: 0 },
      prices: { input: 0, output: 0 },
      judge: undefined,
      otlpEndpoint: undefined,
    });
    expect(readEvalSettings({}, "responses").model).toMatchObject({ api: "responses" });
  });

  test("a key and model: that endpoint, priced when prices are given; the judge borrows the key", () => {
    const env = { OPENAI_API_KEY: "sk-x", OPENAI_MODEL: "gpt-test" };
    expect(readEvalSettings(env).prices).toBeUndefined();
    const settings = readEvalSettings({
      ...env,
      EVAL_INPUT_USD_PER_MTOK: "0.4",
      EVAL_OUTPUT_USD_PER_MTOK: "1.6",
      EVAL_JUDGE_MODEL: "judge",
    });
    expect(settings.model).toMatchObject({ kind: "openai", model: "gpt-test", api: "responses" });
    expect(settings.prices).toEqual({ input: 0.4 / 1e6, output: 1.6 / 1e6 });
    expect(settings.judge).toEqual({
      model: "judge",
      apiKey: "sk-x",
      baseURL: "https://api.openai.com/v1",
      minScore: 4,
    });
  });

  test("without EVAL_* prices, the api's price table (MODEL_PRICES) prices the model", () => {
    const env = { OPENAI_API_KEY: "sk-x", OPENAI_MODEL: "gpt-test" };
    expect(readEvalSettings({ ...env, MODEL_PRICES: "gpt-test=0.4/1.6" }).prices).toEqual({
      input: 0.4 / 1e6,
      output: 1.6 / 1e6,
    });
    expect(readEvalSettings({ ...env, MODEL_PRICES: "other=1/1" }).prices).toBeUndefined();
    expect(() => readEvalSettings({ ...env, MODEL_PRICES: "gpt-test" })).toThrow(/MODEL_PRICES/);
  });

  test("bad settings are named", () => {
    expect(() => readEvalSettings({ OPENAI_API_KEY: "sk-x" })).toThrow(/OPENAI_MODEL/);
    expect(() => readEvalSettings({ EVAL_JUDGE_MODEL: "judge" })).toThrow(/EVAL_JUDGE_API_KEY/);
    expect(() => readEvalSettings({ EVAL_INPUT_USD_PER_MTOK: "-1" })).toThrow(
      /EVAL_INPUT_USD_PER_MTOK/,
    );
    expect(() => readEvalSettings({ EVAL_JUDGE_MIN_SCORE: "9" })).toThrow(/EVAL_JUDGE_MIN_SCORE/);
  });
});
