import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { parseEnv } from "./config.ts";
import { costUsd, parsePriceTable, priceOf, priceTableField } from "./prices.ts";

describe("the price table (MODEL_PRICES)", () => {
  test("model=input/output per million tokens, comma separated, * for any other model", () => {
    const table = parsePriceTable("gpt-4.1-mini=0.4/1.6, gpt-4.1 = 2 / 8 ,*=1/4");
    expect(priceOf(table, "gpt-4.1-mini")).toEqual({ inputUsdPerMTok: 0.4, outputUsdPerMTok: 1.6 });
    expect(priceOf(table, "gpt-4.1")).toEqual({ inputUsdPerMTok: 2, outputUsdPerMTok: 8 });
    expect(priceOf(table, "something-else")).toEqual({ inputUsdPerMTok: 1, outputUsdPerMTok: 4 });
    expect(priceOf(parsePriceTable("a=1/1"), "b")).toBeUndefined();
  });

  test("a cost is tokens times the price per million", () => {
    const price = { inputUsdPerMTok: 0.4, outputUsdPerMTok: 1.6 };
    expect(costUsd({ inputTokens: 1_000_000, outputTokens: 0 }, price)).toBeCloseTo(0.4, 10);
    expect(costUsd({ inputTokens: 2000, outputTokens: 500 }, price)).toBeCloseTo(0.0016, 10);
  });

  test("as an env field: unset is an empty table; a bad entry is named", () => {
    const schema = z.object({ MODEL_PRICES: priceTableField });
    expect(parseEnv(schema, {}).MODEL_PRICES.size).toBe(0);
    expect(parseEnv(schema, { MODEL_PRICES: " " }).MODEL_PRICES.size).toBe(0);
    expect(() => parseEnv(schema, { MODEL_PRICES: "gpt=1/2, oops" })).toThrow(
      /MODEL_PRICES: "oops" is not model=input\/output/,
    );
    expect(() => parseEnv(schema, { MODEL_PRICES: "gpt=-1/2" })).toThrow(/MODEL_PRICES/);
  });
});
