/**
 * The flood of tests/resume-flood.integration.test.ts, in a process of its own so that
 * receiving it does not slow the test's own timing of /state (one event loop would measure
 * the client, not the api). Args: the socket URL (with ?token=), the session to resume, how
 * many sockets, the interval between rounds (ms). Prints `flooding` once every socket is ready;
 * on SIGTERM prints what came back as one JSON line and exits.
 */
export {};

const [url, sessionId, count, intervalMs] = process.argv.slice(2);
if (!url || !sessionId || !count || !intervalMs) throw new Error("usage: url session count ms");

const counts = { messages: 0, refused: 0, closed: 0, other: 0 };
const sockets = await Promise.all(
  Array.from(
    { length: Number(count) },
    () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.addEventListener("message", (event) => {
          const data = String(event.data);
          if (data.startsWith('{"type":"ready"')) return resolve(ws);
          // Counted by a glance at the start: parsing 80 000 frames is not what is measured.
          if (data.startsWith('{"type":"message"')) counts.messages++;
          else if (data.includes('"rate_limited"')) counts.refused++;
          else counts.other++;
        });
        ws.addEventListener("close", () => {
          counts.closed++;
          reject(new Error("closed before ready"));
        });
      }),
  ),
);
const frame = JSON.stringify({ type: "resume", sessionId, afterSeq: 0 });
setInterval(() => {
  for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ws.send(frame);
}, Number(intervalMs));
process.on("SIGTERM", () => {
  process.stdout.write(`${JSON.stringify(counts)}\n`);
  process.exit(0);
});
process.stdout.write("flooding\n");
