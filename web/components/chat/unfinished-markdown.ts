/**
 * What a streaming answer holds back until the next tokens say what it is, so nothing shows
 * as raw syntax and then jumps into its rendered form. Plugged into streamdown's own
 * completion of unfinished Markdown (remend) as a handler; a finished answer is never touched.
 *
 * - A table arrives line by line: its header row alone is not a table yet (Markdown needs
 *   the `| --- |` row under it), so it would show as a line of pipes and then turn into a
 *   table. Held back until its delimiter row is complete, the table appears once, as a
 *   table, and fills in row by row.
 * - Emphasis markers with nothing after them yet (`Here is a **`): remend closes `**bold`
 *   once a letter follows, but a bare marker would show as `**` for a token.
 */
import { isWithinCodeBlock, type RemendHandler } from "remend";

const delimiterRow = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
const startsRow = (line: string) => line.trimStart().startsWith("|");

/** `text` without a trailing table whose delimiter row has not fully arrived. */
export function withoutUnfinishedTable(text: string): string {
  const lines = text.split("\n");
  // The last line is still being written; a text ending in "\n" leaves an empty one.
  let first = lines.length - 1;
  if (lines[first] === "" && first > 0) first -= 1;
  if (!startsRow(lines[first] ?? "")) return text;
  while (first > 0 && startsRow(lines[first - 1]!)) first -= 1;
  const start = lines.slice(0, first).join("\n").length + (first > 0 ? 1 : 0);
  if (isWithinCodeBlock(text, start)) return text;
  const table = lines.slice(first);
  // The delimiter row counts once a newline follows it (its last cell may still be growing).
  const delimiterDone = table.length >= 3 && delimiterRow.test(table[1]!);
  return delimiterDone ? text : text.slice(0, start);
}

const danglingMarker = /(^|\s)(\*{1,3}|_{1,3}|~{1,2})$/;

/** `text` without emphasis markers at its very end that nothing follows yet. */
export function withoutDanglingMarker(text: string): string {
  const match = danglingMarker.exec(text);
  if (!match || isWithinCodeBlock(text, match.index)) return text;
  return text.slice(0, match.index + match[1]!.length);
}

export const unfinishedMarkdownHandler: RemendHandler = {
  name: "trainer2-unfinished-markdown",
  // Before the built-in completions, which would otherwise close markup inside held text.
  priority: 0,
  handle: (text) => withoutDanglingMarker(withoutUnfinishedTable(text)),
};
