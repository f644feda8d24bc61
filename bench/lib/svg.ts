/**
 * A hand-written SVG of a run: percentile curves (x = percentile, y = ms on a log scale) for
 * each latency distribution, and api RSS against idle sockets held. No fonts or scripts
 * beyond what any browser has, so the file opens anywhere.
 */
import type { PartialResults } from "./results.ts";

/** `colour` pairs a measured curve with its baseline (same colour, dashed). */
type Series = { label: string; curve: number[]; dashed?: boolean; colour?: number };

const width = 760;
const panelHeight = 230;
const margin = { left: 64, right: 180, top: 34, bottom: 36 };
const colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b"];
const plotWidth = width - margin.left - margin.right;
const plotHeight = panelHeight - margin.top - margin.bottom;

const escapeXml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (value: number) =>
  value >= 1000 ? `${value / 1000} s` : value >= 1 ? `${value} ms` : `${value} ms`;

function text(x: number, y: number, content: string, attrs = "") {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escapeXml(content)}</text>`;
}

function curvePanel(title: string, series: Series[], top: number): string {
  const drawn = series.filter((entry) => entry.curve.length > 1);
  const values = drawn.flatMap((entry) => entry.curve).filter((value) => value > 0);
  const parts = [
    `<g transform="translate(0,${top})">`,
    text(margin.left, 20, title, 'font-weight="bold"'),
  ];
  if (values.length === 0) {
    parts.push(text(margin.left, 60, "no samples"), "</g>");
    return parts.join("");
  }
  const low = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const high = 10 ** Math.ceil(Math.log10(Math.max(...values) * 1.0001));
  const y = (value: number) => {
    const clamped = Math.max(value, low);
    const share = (Math.log10(clamped) - Math.log10(low)) / (Math.log10(high) - Math.log10(low));
    return margin.top + plotHeight * (1 - share);
  };
  const x = (index: number, length: number) => margin.left + (plotWidth * index) / (length - 1);
  for (let decade = low; decade <= high * 1.0001; decade *= 10) {
    const yy = y(decade);
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`,
      text(margin.left - 6, yy + 4, fmt(Number(decade.toPrecision(1))), 'text-anchor="end"'),
    );
  }
  for (const p of [0, 25, 50, 75, 95, 100]) {
    const xx = margin.left + (plotWidth * p) / 100;
    parts.push(
      `<line x1="${xx}" x2="${xx}" y1="${margin.top}" y2="${margin.top + plotHeight}" stroke="#eee"/>`,
      text(xx, margin.top + plotHeight + 16, `p${p}`, 'text-anchor="middle"'),
    );
  }
  drawn.forEach((entry, index) => {
    const colour = colours[(entry.colour ?? index) % colours.length];
    const points = entry.curve
      .map((value, i) => `${x(i, entry.curve.length).toFixed(1)},${y(value).toFixed(1)}`)
      .join(" ");
    const dash = entry.dashed ? ' stroke-dasharray="5 3"' : "";
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="2"${dash} points="${points}"/>`,
      `<line x1="${width - margin.right + 12}" x2="${width - margin.right + 32}" y1="${margin.top + 6 + index * 18}" y2="${margin.top + 6 + index * 18}" stroke="${colour}" stroke-width="2"${dash}/>`,
      text(width - margin.right + 38, margin.top + 10 + index * 18, entry.label),
    );
  });
  parts.push("</g>");
  return parts.join("");
}

function rssPanel(steps: { target: number; open: number; rssMb: number }[], top: number) {
  const parts = [
    `<g transform="translate(0,${top})">`,
    text(margin.left, 20, "Capacity: api RSS by idle sockets held", 'font-weight="bold"'),
  ];
  if (steps.length === 0) {
    parts.push(text(margin.left, 60, "no steps"), "</g>");
    return parts.join("");
  }
  // Headroom above the tallest bar for its label.
  const maxRss = Math.max(...steps.map((step) => step.rssMb), 1) * 1.2;
  const barWidth = plotWidth / steps.length - 10;
  steps.forEach((step, index) => {
    const h = (plotHeight * step.rssMb) / maxRss;
    const xx = margin.left + index * (barWidth + 10);
    parts.push(
      `<rect x="${xx}" y="${margin.top + plotHeight - h}" width="${barWidth}" height="${h}" fill="${colours[0]}"/>`,
      text(
        xx + barWidth / 2,
        margin.top + plotHeight - h - 4,
        `${step.rssMb} MiB`,
        'text-anchor="middle"',
      ),
      text(
        xx + barWidth / 2,
        margin.top + plotHeight + 16,
        `${step.open} sockets`,
        'text-anchor="middle"',
      ),
    );
  });
  parts.push("</g>");
  return parts.join("");
}

export function chartSvg(results: PartialResults): string {
  const s = results.scenarios;
  const panels: ((top: number) => string)[] = [];
  if (s.chatLatency)
    panels.push((top) =>
      curvePanel(
        "Chat: chat → first delta (solid) vs the model's own TTFT (dashed)",
        s.chatLatency!.levels.flatMap((level, index) => [
          {
            label: `${level.concurrency} session${level.concurrency === 1 ? "" : "s"}`,
            curve: level.firstDeltaMs.curve,
            colour: index,
          },
          {
            label: `model ×${level.concurrency}`,
            curve: level.modelTtftMs.curve,
            dashed: true,
            colour: index,
          },
        ]),
        top,
      ),
    );
  if (s.streaming)
    panels.push((top) =>
      curvePanel(
        "Streaming: gap between tokens on the socket vs from the model",
        [
          { label: "socket", curve: s.streaming!.gapMs.curve, colour: 0 },
          { label: "model", curve: s.streaming!.modelGapMs.curve, dashed: true, colour: 0 },
        ],
        top,
      ),
    );
  if (s.capacity) {
    const chat = s.capacity.chat;
    panels.push((top) =>
      curvePanel(
        `Capacity: ${chat.sessions} sessions chatting, per turn`,
        [
          { label: "chat → completed", curve: chat.turnMs.curve },
          { label: "chat → first delta", curve: chat.firstDeltaMs.curve },
        ],
        top,
      ),
    );
    panels.push((top) => rssPanel(s.capacity!.idle.steps, top));
  }
  if (s.http)
    panels.push((top) =>
      curvePanel(
        `HTTP: latency at ${s.http!.endpoints[0]?.connections ?? 0} connections`,
        s.http!.endpoints.map((endpoint) => ({
          label: endpoint.name,
          curve: endpoint.latencyMs.curve,
        })),
        top,
      ),
    );
  const footer = s.coldStart
    ? `Cold start (median): api ${s.coldStart.apiMs.p50.toFixed(0)} ms, agent ${s.coldStart.agentMs.p50.toFixed(0)} ms. `
    : "";
  const heading = `trainer2 bench ${results.startedAt}${results.quick ? " (--quick)" : ""}`;
  const height = 40 + panels.length * panelHeight + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    text(margin.left, 24, heading, 'font-size="14" font-weight="bold"'),
    ...panels.map((panel, index) => panel(40 + index * panelHeight)),
    text(
      margin.left,
      height - 12,
      `${footer}Machine: ${results.machine.cpus} CPUs, Bun ${results.machine.bunVersion}, ${results.machine.database}.`,
    ),
    "</svg>",
    "",
  ].join("\n");
}
