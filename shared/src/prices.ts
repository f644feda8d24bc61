/**
 * What model tokens cost, for the estimates on the api's spans and metrics, `bun run admin
 * budget` and the evals' cost column. One table in the environment, per model, in USD per
 * million input / output tokens:
 *
 *   MODEL_PRICES="gpt-4.1-mini=0.4/1.6, gpt-4.1=2/8, *=1/4"
 *
 * `*` prices any model the table does not name. A model without a price costs nothing known
 * (no estimate), which is not the same as free: the offline dev model is free.
 */
import { z } from "zod";
import { blankAsUnset } from "./config.ts";

export type Price = { inputUsdPerMTok: number; outputUsdPerMTok: number };
export type PriceTable = ReadonlyMap<string, Price>;

/** A price in USD per million tokens, from one environment variable (blank: unset). */
export const usdPerMTok = blankAsUnset(z.coerce.number().min(0, "expected a price ≥ 0").optional());

const entryPattern = /^([^=\s]+)\s*=\s*([0-9.]+)\s*\/\s*([0-9.]+)$/;

/** Parses `model=in/out, …`; throws naming the entry that is not one. */
export function parsePriceTable(text: string): Map<string, Price> {
  const table = new Map<string, Price>();
  for (const raw of text.split(/[,;\n]/)) {
    const entry = raw.trim();
    if (!entry) continue;
    const match = entryPattern.exec(entry);
    const [inputUsdPerMTok, outputUsdPerMTok] = [Number(match?.[2]), Number(match?.[3])];
    if (!match || !Number.isFinite(inputUsdPerMTok) || !Number.isFinite(outputUsdPerMTok))
      throw new Error(`"${entry}" is not model=input/output (USD per million tokens)`);
    table.set(match[1]!, { inputUsdPerMTok, outputUsdPerMTok });
  }
  return table;
}

/** MODEL_PRICES as an env field: a table (empty when unset), each bad entry named. */
export const priceTableField = blankAsUnset(z.string().optional()).transform((text, ctx) => {
  try {
    return parsePriceTable(text ?? "") as PriceTable;
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
    return z.NEVER;
  }
});

/** The model's price, the table's `*` when it does not name it, else undefined. */
export function priceOf(table: PriceTable, model: string | undefined): Price | undefined {
  return (model === undefined ? undefined : table.get(model)) ?? table.get("*");
}

/** Estimated USD for this usage at this price. */
export function costUsd(
  usage: { inputTokens: number; outputTokens: number },
  price: Price,
): number {
  return (
    (usage.inputTokens * price.inputUsdPerMTok + usage.outputTokens * price.outputUsdPerMTok) / 1e6
  );
}
