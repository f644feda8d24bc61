/** The Markdown table printed at the end of a run (and pasted into the README). */
import type { PartialResults } from "./results.ts";
import type { Summary } from "./stats.ts";

const f = (value: number, digits = 1) =>
  value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
const ms = (value: number) => `${f(value, value < 10 ? 2 : 1)} ms`;
const trio = (s: { p50: number; p95: number; p99: number }) =>
  `${f(s.p50, 2)} / ${f(s.p95, 2)} / ${f(s.p99, 2)} ms`;
const p50p99 = (s: Summary) => `p50 ${ms(s.p50)}, p99 ${ms(s.p99)}`;
const signed = (value: number) => `${value >= 0 ? "+" : "−"}${ms(Math.abs(value))}`;

export function markdownTable(results: PartialResults): string {
  const { scenarios: s, machine } = results;
  const rows: [string, string, string][] = [];
  for (const level of s.chatLatency?.levels ?? []) {
    const name = `Chat turn, ${level.concurrency} session${level.concurrency === 1 ? "" : "s"}`;
    rows.push([name, "added to first token (p50 / p95 / p99)", trio(level.addedMs)]);
    rows.push([
      "",
      "the floor's added (p50 / p95 / p99); ours as a multiple (p50)",
      `${trio(level.floor.addedMs)}; ${f(level.timesFloor)}x`,
    ]);
    if (level.sdkFloor && level.cpuPerTurnMs)
      rows.push(
        [
          "",
          "the SDK's floor (the floor through the Agents SDK): added (p50); as a multiple",
          `${ms(level.sdkFloor.addedMs.p50)}; ${f(level.sdkFloor.timesFloor)}x`,
        ],
        [
          "",
          "CPU per turn: ours (api + agent) / the floor / the SDK's floor",
          `${ms(level.cpuPerTurnMs.ours)} / ${ms(level.cpuPerTurnMs.floor)} / ${ms(level.cpuPerTurnMs.sdkFloor)}`,
        ],
      );
    rows.push([
      "",
      "chat → first delta; model's own TTFT alone / at this concurrency (p50)",
      `${ms(level.firstDeltaMs.p50)}; ${ms(s.chatLatency?.modelTtftAloneMs?.p50 ?? Number.NaN)} / ` +
        `${ms(level.modelTtftMs.p50)}`,
    ]);
    rows.push([
      "",
      "last token → run.completed (persisting)",
      `${p50p99(level.lastTokenToCompletedMs)}; ${level.failedTurns}/${level.turns} failed`,
    ]);
  }
  if (s.devDefault) {
    const d = s.devDefault;
    rows.push([
      "Dev default",
      "added to first token, 1 session: embedded PGlite vs Postgres (p50)",
      `${ms(d.embeddedAddedMs.p50)} vs ${ms(d.postgresAddedMs.p50)}: ${f(d.embeddedTimesPostgres)}x`,
    ]);
  }
  if (s.streaming) {
    const st = s.streaming;
    rows.push([
      "Streaming relay",
      "tokens/s to one socket (model alone)",
      `${f(st.tokensPerSecond, 0)} (${f(st.modelTokensPerSecond, 0)}), ${st.tokensPerTurn} tokens/answer`,
    ]);
    rows.push([
      "",
      "added gap per token (mean; socket gap p99)",
      `${ms(st.addedGapMs)}; ${ms(st.gapMs.p99)}`,
    ]);
  }
  if (s.capacity) {
    const { idle, chat } = s.capacity;
    const last = idle.steps.at(-1);
    rows.push([
      "Capacity",
      "idle signed-in sockets on one api (RSS)",
      `${f(idle.maxOpen, 0)} (${last ? f(last.rssMb, 0) : "?"} MiB, from ${f(idle.baselineRssMb, 0)}); ` +
        `${idle.errors} errors, ${idle.dropped} dropped${idle.cappedBy ? `; capped by ${idle.cappedBy}` : ""}`,
    ]);
    rows.push([
      "",
      `${chat.sessions} sessions chatting ${f(chat.durationMs / 1000, 0)} s`,
      `${f(chat.turnsPerSecond)} turns/s, turn ${p50p99(chat.turnMs)}, ${chat.failedTurns} failed, ` +
        `db ${chat.db.userMessages}/${chat.turnsSent} user msgs ${chat.db.matches ? "✓" : "✗"}`,
    ]);
    const off = s.capacity.chatWithoutCheckpoint;
    rows.push([
      "",
      "same load, answers not checkpointed while streaming",
      `${f(off.turnsPerSecond)} turns/s, turn ${p50p99(off.turnMs)}, ${off.failedTurns} failed, ` +
        `db ${off.db.userMessages}/${off.turnsSent} user msgs ${off.db.matches ? "✓" : "✗"}`,
    ]);
    rows.push([
      "",
      "checkpoint cost in turn latency (p50 / p99)",
      `${signed(chat.turnMs.p50 - off.turnMs.p50)} / ${signed(chat.turnMs.p99 - off.turnMs.p99)}`,
    ]);
    rows.push(...budgetRows(chat, s.capacity.chatWithBudgets));
    const cpu = chat.cpuSeconds;
    rows.push([
      "",
      "CPU seconds during that load",
      `api ${f(cpu.api)}, agent ${f(cpu.agent)}, model ${f(cpu.model)}, ` +
        `${cpu.db >= 0 ? `embedded db ${f(cpu.db)}, ` : ""}bench client ${f(cpu.bench)}`,
    ]);
    const perTurn = (seconds: number) => cpuPerTurnMs(chat, seconds);
    rows.push([
      "",
      "CPU per completed turn: api + agent",
      `${f(perTurn(cpu.api), 2)} + ${f(perTurn(cpu.agent), 2)} = ` +
        `${f(perTurn(cpu.api + cpu.agent), 2)} ms`,
    ]);
  }
  if (s.apiWorkers) rows.push(...workerRows(s));
  for (const endpoint of s.http?.endpoints ?? []) {
    rows.push([
      endpoint === s.http?.endpoints[0] ? "HTTP" : "",
      `${endpoint.name}, ${endpoint.connections} connections (${endpoint.tool ?? "fetch"})`,
      `${f(endpoint.requestsPerSecond, 0)} req/s, ${p50p99(endpoint.latencyMs)}, ${endpoint.errors} errors`,
    ]);
  }
  if (s.coldStart) {
    rows.push([
      "Cold start",
      `process start → /health 200 (median of ${s.coldStart.samples})`,
      `api ${ms(s.coldStart.apiMs.p50)}, agent ${ms(s.coldStart.agentMs.p50)}`,
    ]);
  }
  const header = [
    `Machine: ${machine.cpus} × ${machine.cpuModel}, ${f(machine.memTotalMb / 1024, 1)} GiB, ` +
      `Bun ${machine.bunVersion}, ${machine.database === "postgres" ? "Postgres" : "embedded PGlite"}, ` +
      `commit ${machine.gitCommit.slice(0, 10)}${results.quick ? " (--quick)" : ""}`,
    "",
    "| Scenario | Measure | Result |",
    "| --- | --- | --- |",
  ];
  return [...header, ...rows.map((row) => `| ${row.join(" | ")} |`)].join("\n");
}

/** `--api-workers N` next to the one-process figures of the same run. */
function workerRows(s: PartialResults["scenarios"]): [string, string, string][] {
  const w = s.apiWorkers!;
  const one = s.capacity?.chat;
  const oneState = s.http?.endpoints.find((endpoint) => endpoint.name === "GET /state");
  const versus = (many: number, single: number | undefined) =>
    single ? ` (${f(many / single, 2)}x one process)` : "";
  return [
    [
      `${w.processes} api processes`,
      `${w.chat.sessions} sessions chatting ${f(w.chat.durationMs / 1000, 0)} s`,
      `${f(w.chat.turnsPerSecond)} turns/s${versus(w.chat.turnsPerSecond, one?.turnsPerSecond)}, ` +
        `turn ${p50p99(w.chat.turnMs)}, ${w.chat.failedTurns} failed, ` +
        `db ${w.chat.db.userMessages}/${w.chat.turnsSent} user msgs ${w.chat.db.matches ? "✓" : "✗"}`,
    ],
    [
      "",
      "CPU seconds per api process (parent, workers)",
      w.chat.apiProcessCpuSeconds.map((seconds) => f(seconds)).join(", "),
    ],
    [
      "",
      "bus during that load: NOTIFY/s; messages/s",
      `${f(w.notificationsPerSecond)}; ${f(w.busMessagesPerSecond)}`,
    ],
    [
      "",
      `GET /state, ${w.state.connections} connections`,
      `${f(w.state.requestsPerSecond, 0)} req/s${versus(w.state.requestsPerSecond, oneState?.requestsPerSecond)}, ` +
        `${p50p99(w.state.latencyMs)}, ${w.state.errors} errors`,
    ],
  ];
}

type ChatLoad = NonNullable<PartialResults["scenarios"]["capacity"]>["chat"];

/** CPU milliseconds per completed turn of `load`, from `seconds` of CPU time. */
const cpuPerTurnMs = (load: ChatLoad, seconds: number) =>
  (seconds * 1000) / Math.max(1, load.turnsCompleted);
const apiCpuPerTurn = (load: ChatLoad) => cpuPerTurnMs(load, load.cpuSeconds.api);

/** Budgets on against the same load with them off (the capacity run): what enforcement costs. */
function budgetRows(off: ChatLoad, on: ChatLoad): [string, string, string][] {
  return [
    [
      "",
      "same load, budgets on (each turn reserved and settled)",
      `${f(on.turnsPerSecond)} turns/s, turn ${p50p99(on.turnMs)}, ${on.failedTurns} failed, ` +
        `db ${on.db.userMessages}/${on.turnsSent} user msgs ${on.db.matches ? "✓" : "✗"}`,
    ],
    [
      "",
      "budget cost per turn: latency (p50 / p99); api CPU",
      `${signed(on.turnMs.p50 - off.turnMs.p50)} / ${signed(on.turnMs.p99 - off.turnMs.p99)}; ` +
        `${signed(apiCpuPerTurn(on) - apiCpuPerTurn(off))} (${ms(apiCpuPerTurn(on))} vs ${ms(apiCpuPerTurn(off))})`,
    ],
  ];
}
