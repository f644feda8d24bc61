/** zod pieces several tools share. */
import { z } from "zod";

const isCalendarDate = (text: string) => {
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
};

/**
 * A calendar day as YYYY-MM-DD. The published schema carries a plain pattern (strict mode
 * and models handle it); the refinement also refuses days that do not exist (2026-02-30).
 */
export const dateInput = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date as YYYY-MM-DD")
  .refine(isCalendarDate, "not a real calendar date");
