/**
 * pglite-socket 0.2 queues wire-protocol messages one by one and only keeps a connection's
 * messages together while a transaction is open. postgres.js speaks the extended protocol
 * (Parse, Bind, Execute … Sync), so two connections querying at once interleave inside a
 * cycle and trample the shared backend's unnamed portal ("portal \"\" does not exist").
 * This replaces the queue's scheduler so a connection also keeps the backend from its first
 * message after a Sync/Query until its next Sync/Query: one protocol cycle at a time.
 */
import type { PGlite } from "@electric-sql/pglite";
import type { PGLiteSocketServer } from "@electric-sql/pglite-socket";

type QueuedMessage = {
  handlerId: number;
  message: Uint8Array;
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
  onData: (data: Uint8Array) => void;
};

type QueryQueue = {
  queue: QueuedMessage[];
  processing: boolean;
  db: PGlite;
  lastHandlerId: number | null;
  processQueue: () => Promise<void>;
  clearTransactionIfNeeded: (handlerId: number) => Promise<void>;
};

const SYNC = 0x53; // 'S'
const SIMPLE_QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'

/** Messages after which the backend is at a cycle boundary (a startup packet starts with 0). */
const endsCycle = (message: Uint8Array) => {
  const type = message[0];
  return type === SYNC || type === SIMPLE_QUERY || type === TERMINATE || type === 0;
};

export function serialiseProtocolCycles(server: PGLiteSocketServer): void {
  const queue = (server as unknown as { queryQueue: QueryQueue }).queryQueue;
  if (!queue || !Array.isArray(queue.queue) || typeof queue.processQueue !== "function") {
    throw new Error("pglite-socket internals changed: review db/src/embedded-queue.ts");
  }
  let midCycleHandler: number | null = null;

  queue.processQueue = async function processQueue(this: QueryQueue) {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const owner = midCycleHandler ?? (this.db.isInTransaction() ? this.lastHandlerId : null);
        const index = owner === null ? 0 : this.queue.findIndex((m) => m.handlerId === owner);
        if (index === -1) break; // the owner's next message has not arrived yet
        const [item] = this.queue.splice(index, 1);
        if (!item) break;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (error) {
          midCycleHandler = null;
          item.reject(error);
          continue;
        }
        this.lastHandlerId = item.handlerId;
        midCycleHandler = endsCycle(item.message) ? null : item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };

  // A connection that disconnects mid-cycle must not keep the backend.
  const clear = queue.clearTransactionIfNeeded.bind(queue);
  queue.clearTransactionIfNeeded = async (handlerId: number) => {
    if (midCycleHandler === handlerId) midCycleHandler = null;
    await clear(handlerId);
    await queue.processQueue();
  };
}
