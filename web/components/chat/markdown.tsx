"use client";

/**
 * An assistant's answer, rendered as Markdown while it streams (GFM: lists, tables, emphasis,
 * links, code blocks with a copy button), by streamdown: made for streamed Markdown, it
 * completes unfinished syntax and renders the answer as blocks, each memoized, so a growing
 * last block never re-renders (or reflows) the ones before it.
 *
 * An answer comes from a model, so it is untrusted: raw HTML in it is shown as text, never
 * parsed (streamdown's rehype-raw is left out, which turns HTML into text), what is left is
 * sanitized and hardened, images are not loaded (no request leaves the page because of an
 * answer), and links open in a new tab with rel="noopener noreferrer".
 */
import { type ComponentProps, memo } from "react";
import type { RemendOptions } from "remend";
import { type Components, defaultRehypePlugins, Streamdown } from "streamdown";
import { unfinishedMarkdownHandler } from "./unfinished-markdown";
import "./markdown.css";

type Pluggable = NonNullable<ComponentProps<typeof Streamdown>["rehypePlugins"]>[number];

/** Sanitize, then harden: links by http(s)/mailto only, and no image from anywhere. */
const [harden] = defaultRehypePlugins.harden as [Pluggable, unknown];
const rehypePlugins: Pluggable[] = [
  defaultRehypePlugins.sanitize!,
  [
    harden,
    {
      allowedProtocols: ["http", "https", "mailto"],
      allowedLinkPrefixes: ["*"],
      allowedImagePrefixes: [],
      allowDataImages: false,
    },
  ] as Pluggable,
];

const components: Components = {
  a: ({ href, children }) => (
    <a href={href} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  ),
  // Bold as <strong>, which screen readers and copy-paste understand (streamdown: a span).
  strong: ({ children }) => <strong>{children}</strong>,
  // A wide table scrolls sideways in a region a keyboard can reach and scroll.
  table: ({ children }) => (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be focusable
    <section className="table-scroll" aria-label="Table" tabIndex={0}>
      <table>{children}</table>
    </section>
  ),
};

/** Code blocks get a copy button; nothing else gets controls (no downloads, no fullscreen). */
const controls = { code: { copy: true, download: false }, table: false, mermaid: false } as const;

/** While streaming: an unfinished link shows as its text; see unfinished-markdown.ts. */
const whileStreaming: RemendOptions = {
  linkMode: "text-only",
  handlers: [unfinishedMarkdownHandler],
};

export const Markdown = memo(function Markdown({
  text,
  streaming,
}: {
  text: string;
  streaming: boolean;
}) {
  return (
    <Streamdown
      className="markdown"
      // One mode for the whole life of the answer: switching when it ends would re-render it.
      mode="streaming"
      isAnimating={streaming}
      parseIncompleteMarkdown={streaming}
      remend={whileStreaming}
      rehypePlugins={rehypePlugins}
      disallowedElements={["img"]}
      components={components}
      controls={controls}
      lineNumbers={false}
      // No inner scroll boxes: code wraps, tables scroll sideways only (CSS).
      codeBlockMaxHeight={0}
      tableMaxHeight={0}
    >
      {text}
    </Streamdown>
  );
});
