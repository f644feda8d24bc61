/**
 * The invariants of issue 25, judged on what the tabs saw and what is stored, after the
 * faults have healed. Each yields its offending ids; an empty list is a PASS. The stored
 * side is read straight from the database (the server's own words are never trusted).
 */
import type { Sql } from "@trainer2/db";
import { answersShown, traceOf } from "./answers.ts";
import type { PersonRecord } from "./person.ts";
import { chaosLimits } from "./stage.ts";
import type { Crash } from "./supervisor.ts";
import type { TabLog } from "./tab.ts";

/** One violation: what broke, and whose (the per-person and per-session breakdown). */
export type Finding = { what: string; person?: string; sessionId?: string };
export type Verdict = { name: string; offending: Finding[]; notes: string[] };

type Input = {
  sql: Sql;
  people: PersonRecord[];
  lastFaultMs: number;
  /** An api process was killed on purpose: an answer cut to its checkpoint is allowed. */
  apiKilled: boolean;
  /** Exits nobody asked for (the supervisor restarted them). */
  crashes: Crash[];
  now(): number;
};

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** 1. Every user message a tab saw stored (acknowledged) is stored exactly once. */
async function ackedStoredOnce({ sql, people }: Input): Promise<Verdict> {
  const offending: Finding[] = [];
  for (const person of people) {
    if (!person.userId) continue;
    const acked = new Map<string, string>();
    for (const tab of person.tabs)
      for (const event of tab.events)
        if (event.type === "message" && event.message.role === "user" && event.message.clientMsgId)
          acked.set(event.message.clientMsgId, event.sessionId);
    const rows = await sql<{ client_msg_id: string; n: number }[]>`
      select client_msg_id, count(*)::int as n from messages
      where user_id = ${person.userId} and role = 'user' and client_msg_id is not null
      group by client_msg_id`;
    const stored = new Map(rows.map((row) => [row.client_msg_id, row.n]));
    for (const [clientMsgId, sessionId] of acked) {
      const n = stored.get(clientMsgId) ?? 0;
      if (n === 1 || (n === 0 && person.deleted.has(sessionId))) continue;
      offending.push({
        what: `clientMsgId ${clientMsgId} stored ${n}×`,
        person: person.email,
        sessionId,
      });
    }
  }
  return { name: "1 acknowledged messages stored once", offending, notes: [] };
}

type Row = { id: string; session_id: string | null; email: string };

/** The ids `query` returns, polled until none or `deadlineMs` (run time) has passed. */
async function stuckUntil(input: Input, deadlineMs: number, query: () => Promise<Finding[]>) {
  for (;;) {
    const ids = await query().catch((error: Error) => [{ what: `query failed: ${error.message}` }]);
    if (ids.length === 0 || input.now() >= deadlineMs) return ids;
    await Bun.sleep(500);
  }
}

/**
 * 2. Nothing left in flight 15 s after the last fault: no answer `streaming`, no approval
 * pending without its paused answer, no reservation but of an answer still running or paused.
 */
async function nothingStuck(input: Input): Promise<Verdict> {
  const { sql } = input;
  const deadline = input.lastFaultMs + 15_000;
  const whose = (r: Row, what: string): Finding => ({
    what,
    person: r.email,
    ...(r.session_id ? { sessionId: r.session_id } : {}),
  });
  const streaming = await stuckUntil(input, deadline, async () =>
    (
      await sql<Row[]>`select m.id, m.session_id, u.email from messages m
        join users u on u.id = m.user_id where m.status = 'streaming'`
    ).map((r) => whose(r, `answer ${r.id} streaming`)),
  );
  const orphanApprovals = await stuckUntil(input, deadline, async () =>
    (
      await sql<Row[]>`select a.id, a.session_id, u.email from tool_approvals a
        join users u on u.id = a.user_id left join messages m on m.id = a.message_id
        where a.status = 'pending' and m.status is distinct from 'awaiting_approval'`
    ).map((r) => whose(r, `approval ${r.id} pending`)),
  );
  const reservations = await stuckUntil(input, deadline, async () =>
    (
      await sql<Row[]>`select r.run_id as id, null as session_id, u.email
        from budget_reservations r join users u on u.id = r.user_id where not exists (
          select 1 from messages m where m.run_id = r.run_id
            and m.status in ('streaming', 'awaiting_approval'))`
    ).map((r) => whose(r, `reservation of run ${r.id} open`)),
  );
  return {
    name: "2 nothing streaming, pending or reserved",
    offending: [...streaming, ...orphanApprovals, ...reservations],
    notes: [],
  };
}

/**
 * 3. Each tab's text of each answer is a prefix of the stored text, equal to it when the
 * tab saw it complete (and then stored complete); each tab's deltas in order, none twice.
 * An answer whose process was killed is stored up to its last checkpoint (README, "What
 * survives what"): text shown past that is a note, not a violation, when the two agree and
 * an api process was killed in the run (the tabs cannot tell which process owned it).
 */
async function shownIsStored({ sql, people, apiKilled }: Input): Promise<Verdict> {
  const offending: Finding[] = [];
  const notes: string[] = [];
  for (const person of people)
    for (const tab of person.tabs)
      for (const shown of answersShown(tab.events)) {
        const where = `${tab.id} run ${shown.runId}`;
        const whose = { person: person.email, sessionId: shown.sessionId };
        for (const problem of shown.problems)
          offending.push({ what: `${where}: ${problem}`, ...whose });
        if (shown.repeats > 0)
          notes.push(`resume repeat: ${where}: ${shown.repeats} delta(s) at 0`);
        const [row] = await sql<{ content: string; status: string; error_code: string | null }[]>`
          select content, status, error_code from messages where run_id = ${shown.runId}
            and role = 'assistant' order by seq desc limit 1`;
        if (!row) {
          if (!person.deleted.has(shown.sessionId))
            offending.push({ what: `${where}: not stored`, ...whose });
          continue;
        }
        if (shown.completed && (row.status !== "complete" || row.content !== shown.text)) {
          offending.push({
            what: `${where}: seen complete, stored ${row.status} (${row.content.length}/${shown.text.length} chars)`,
            ...whose,
          });
          notes.push(`${where} as the tab got it: ${traceOf(tab.events, shown.runId)}`);
        } else if (!row.content.startsWith(shown.text)) {
          // Only a run whose owner may have been killed: with no api process killed, an
          // answer interrupted short of what was shown is a live run taken for an orphan.
          const crashLoss =
            apiKilled &&
            row.status === "interrupted" &&
            row.error_code === "interrupted" &&
            shown.text.startsWith(row.content);
          const what = `${where}: shown ${shown.text.length} chars, stored ${row.status} (${row.error_code}) ${row.content.length}`;
          if (crashLoss) notes.push(`crash loss (README): ${what}`);
          else {
            offending.push({ what, ...whose });
            notes.push(`${where} as the tab got it: ${traceOf(tab.events, shown.runId)}`);
          }
        }
      }
  return { name: "3 what tabs showed is what is stored", offending, notes };
}

/**
 * 4. No 4401 ever (every token is valid); a tab that closed (a fault, or the person) is
 * followed by a ready one within 10 s of the close or of the last fault, whichever is later;
 * and each person ends with a ready socket.
 */
function readyAgain({ people, lastFaultMs }: Input): Verdict {
  const offending: Finding[] = [];
  for (const person of people) {
    // Each browser tab is a chain of sockets (`#3`, `#4`, … and a second tab's `#b1`, …).
    const chains = new Map<string, TabLog[]>();
    for (const tab of person.tabs) {
      const chain = tab.id.replace(/\d+$/, "");
      chains.set(chain, [...(chains.get(chain) ?? []), tab]);
    }
    for (const tabs of chains.values())
      for (const [i, tab] of tabs.entries()) {
        if (tab.closeCode === 4401)
          offending.push({ what: `${tab.id} closed 4401`, person: person.email });
        if (tab.closedMs === undefined) continue;
        const next = tabs.slice(i + 1).find((later) => later.readyMs !== undefined);
        const readyBy = Math.max(tab.closedMs, lastFaultMs) + 10_000;
        if (!next || next.readyMs! > readyBy)
          offending.push({
            what: `${tab.id}: closed ${tab.closeCode} at ${ms(tab.closedMs)}, ready again ${next ? `at ${ms(next.readyMs!)}` : "never"}`,
            person: person.email,
          });
      }
  }
  return { name: "4 no 4401; ready again within 10 s", offending, notes: [] };
}

const ms = (value: number) => `${(value / 1000).toFixed(1)} s`;

/**
 * 5. Each person is charged at least the tokens of what their stored answers streamed (the
 * offline model's tokens are words), and at most the day's limit plus one run's maximum
 * (README, "The bound": 8 model calls × (input + BUDGET_MAX_OUTPUT_TOKENS); input taken as
 * at most 2000 tokens a call here).
 */
async function chargedFairly({ sql, people }: Input): Promise<Verdict> {
  const offending: Finding[] = [];
  const ceiling = chaosLimits.dailyTokens + 8 * (2000 + chaosLimits.maxOutputTokens);
  for (const person of people) {
    if (!person.userId) continue;
    const [charged] = await sql<{ output: number; total: number }[]>`
      select coalesce(sum(output_tokens), 0)::int as output,
        coalesce(sum(input_tokens + output_tokens), 0)::int as total
      from budget_days where user_id = ${person.userId}`;
    const answers = await sql<{ content: string }[]>`select content from messages
      where user_id = ${person.userId} and role = 'assistant'`;
    const streamed = answers.reduce((sum, row) => sum + words(row.content), 0);
    if (charged!.output < streamed)
      offending.push({
        what: `charged ${charged!.output} output, streamed ${streamed}`,
        person: person.email,
      });
    if (charged!.total > ceiling)
      offending.push({ what: `charged ${charged!.total} > ${ceiling}`, person: person.email });
  }
  return { name: "5 charged at least what streamed, at most the bound", offending, notes: [] };
}

export type Process = { name: string; url: string; tail(): string };

/**
 * 6. Every process running at the end answers /health (its last lines are kept when not), and
 * none exited that no fault killed (the supervisor restarted it, which hides nothing here).
 */
async function healthy(processes: Process[], crashes: Crash[]): Promise<Verdict> {
  const offending: Finding[] = crashes.map((c) => ({
    what: `${c.name} exited by itself (${c.exit}) at ${ms(c.atMs)}`,
  }));
  const notes = crashes.map((c) => `${c.name}'s last lines before its exit:\n${c.tail}`);
  for (const { name, url, tail } of processes) {
    const status = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) continue;
    offending.push({ what: `${name} /health ${status || "no answer"}` });
    notes.push(`${name}'s last lines:\n${tail()}`);
  }
  return { name: "6 every process answers /health, none died unasked", offending, notes };
}

export async function checkInvariants(input: Input, processes: Process[]): Promise<Verdict[]> {
  // Nothing stuck first: it waits out the quiet period the others are judged after.
  const stuck = await nothingStuck(input);
  return [
    await ackedStoredOnce(input),
    stuck,
    await shownIsStored(input),
    readyAgain(input),
    await chargedFairly(input),
    await healthy(processes, input.crashes),
  ];
}
