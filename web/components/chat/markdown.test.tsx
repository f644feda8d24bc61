import { describe, expect, test } from "bun:test";
import { samplePlan } from "@trainer2/agent/offline-model/brain";
import { renderToStaticMarkup } from "react-dom/server";
import { Markdown } from "./markdown";
import { withoutDanglingMarker, withoutUnfinishedTable } from "./unfinished-markdown";

const render = (text: string, streaming = false) =>
  renderToStaticMarkup(<Markdown text={text} streaming={streaming} />);

/** The text a person reads (tags dropped, entities decoded). */
const readable = (html: string) =>
  html
    .replace(/<[^>]+>/g, "")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&#x27;", "'")
    .replaceAll("&amp;", "&");

describe("an answer renders as Markdown", () => {
  test("a plan: a table, a list and emphasis, with no Markdown syntax left as text", () => {
    const html = render(samplePlan());
    expect(html).toContain("<table");
    expect(html.match(/<tr/g)).toHaveLength(8);
    expect(html).toContain("<ol");
    expect(html).toContain("<em>easy</em>");
    expect(html).toContain("<strong>sample week</strong>");
    expect(readable(html)).not.toContain("**");
    expect(readable(html)).not.toContain("| ---");
  });

  test("raw HTML is shown as text: no element, no handler, no script", () => {
    const html = render("Look: <img src=x onerror=alert(1)> and <script>alert(2)</script>");
    expect(html).not.toMatch(/<img[\s>/]|<script[\s>]|<[^>]*\sonerror=/i);
    expect(readable(html)).toContain("<img src=x onerror=alert(1)>");
    expect(readable(html)).toContain("<script>alert(2)</script>");
  });

  test("links open in a new tab without the opener; script links and images go nowhere", () => {
    const html = render(
      "[a guide](https://example.com/run) [bad](javascript:alert(1)) ![pixel](https://tracker.example/p.png)",
    );
    expect(html).toContain(
      '<a href="https://example.com/run" target="_blank" rel="noopener noreferrer">a guide</a>',
    );
    expect(html).not.toContain("javascript:");
    expect(html).not.toMatch(/<img|tracker\.example/);
  });

  test("a code block has a copy button", () => {
    const html = render("```js\nconst pace = 5;\n```");
    expect(html).toContain('data-streamdown="code-block-copy-button"');
    expect(readable(html)).toContain("const pace = 5;");
  });
});

describe("while it streams", () => {
  const plan = samplePlan();
  // Every character up to the table's first row (the bold words, the header, the delimiter),
  // then every word, as a model streams them.
  const firstRow = plan.indexOf("| Monday");
  const cuts = [
    ...Array.from({ length: firstRow + 8 }, (_, index) => index + 1),
    ...[...plan.matchAll(/\s+/g)].map((match) => match.index),
    plan.length,
  ].filter((cut) => cut > 0);
  const prefixes = [...new Set(cuts)].map((cut) => plan.slice(0, cut));

  // A few hundred renders, all CPU: about 3 s alone, longer beside the suite's other files in
  // a parallel run on two cores, where Bun's 5 s default timed it out.
  test("no prefix shows table rows as a line of pipes, or bold markers as text", () => {
    const wrong = prefixes.filter((prefix) => {
      const html = render(prefix, true);
      return /<p>\s*\|/.test(html) || readable(html).includes("**");
    });
    expect(wrong).toEqual([]);
  }, 30_000);

  test("the table appears once its delimiter row is complete, and then grows by rows", () => {
    const header = plan.indexOf("| Day");
    const delimiterEnd = plan.indexOf("\n", plan.indexOf("| ---")) + 1;
    expect(render(plan.slice(0, delimiterEnd - 1), true)).not.toContain("<table");
    expect(render(plan.slice(0, delimiterEnd), true)).toContain("<table");
    expect(withoutUnfinishedTable(plan.slice(0, header + 8))).toBe(plan.slice(0, header));
    expect(withoutUnfinishedTable(plan)).toBe(plan);
  });

  test("a pipe inside an unfinished code fence is code, not a table held back", () => {
    const code = "```\n| not | a table |";
    expect(withoutUnfinishedTable(code)).toBe(code);
  });

  test("a bare emphasis marker at the end waits for the word it opens", () => {
    expect(withoutDanglingMarker("Here is a **")).toBe("Here is a ");
    expect(withoutDanglingMarker("Here is a **sample")).toBe("Here is a **sample");
    expect(withoutDanglingMarker("2 * 3 = 6")).toBe("2 * 3 = 6");
    expect(withoutDanglingMarker("```\nlet a = b **")).toBe("```\nlet a = b **");
  });
});
