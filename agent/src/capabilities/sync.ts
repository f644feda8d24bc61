/**
 * Keeps the agent's tool surface in step with the api: at start (retrying with backoff until
 * the api answers), every interval, and on demand (`POST /update`). A failed sync keeps the
 * last good surface and is reported, never half-applied.
 */

import { AppError } from "@trainer2/shared/errors";
import type { Logger } from "@trainer2/shared/logger";
import type { Metrics } from "@trainer2/shared/metrics";
import type { KeyLike } from "@trainer2/shared/tokens";
import { fetchCapabilities } from "./fetch.ts";
import { readSurface, type Surface, surfaceOf, writeSurface } from "./surface.ts";

export type SyncOptions = {
  apiUrl: string;
  agentPrivateKey: KeyLike;
  apiPublicKey: KeyLike;
  /** Folder for manifest.json, tools/ and tables/ (tests pass a temp dir). */
  generatedDir: string;
  intervalMs: number;
  logger: Logger;
  /** capability_syncs_total{outcome} and capabilities_version_info{version}. */
  metrics?: Pick<Metrics, "recordCapabilitySync">;
  /** First retry delay at start; doubles up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
};

export type SyncStatus = {
  version: string | null;
  /** When this process last completed a sync (304 included); null until the first. */
  syncedAt: string | null;
  error?: string;
};

export type SyncOutcome = { version: string; changed: boolean };

export class CapabilitySync {
  #surface: Surface | undefined;
  #syncedAt: Date | undefined;
  #error: string | undefined;
  #inFlight: Promise<SyncOutcome> | undefined;
  #queued: Promise<SyncOutcome> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #loaded = false;

  constructor(private readonly options: SyncOptions) {}

  /** The last good surface (from this process's syncs, or from disk at start). */
  get surface(): Surface | undefined {
    return this.#surface;
  }

  /** True once this process has completed at least one sync with the api. */
  get ready(): boolean {
    return this.#syncedAt !== undefined;
  }

  status(): SyncStatus {
    return {
      version: this.#surface?.version ?? null,
      syncedAt: this.#syncedAt?.toISOString() ?? null,
      ...(this.#error ? { error: this.#error } : {}),
    };
  }

  /**
   * One sync now. A sync already under way may have asked the api before the change this
   * caller knows about, so callers arriving meanwhile share one more sync that follows it.
   */
  syncNow(): Promise<SyncOutcome> {
    const running = this.#inFlight;
    if (!running) return this.#begin();
    this.#queued ??= running
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return this.#begin();
      });
    return this.#queued;
  }

  #begin(): Promise<SyncOutcome> {
    const run: Promise<SyncOutcome> = this.#sync().finally(() => {
      if (this.#inFlight === run) this.#inFlight = undefined;
    });
    this.#inFlight = run;
    return run;
  }

  async #sync(): Promise<SyncOutcome> {
    if (!this.#loaded) {
      this.#surface = await readSurface(this.options.generatedDir);
      this.#loaded = true;
    }
    try {
      const result = await fetchCapabilities({
        apiUrl: this.options.apiUrl,
        agentPrivateKey: this.options.agentPrivateKey,
        apiPublicKey: this.options.apiPublicKey,
        etag: this.#surface?.etag,
      });
      let changed = false;
      if (result.status === "ok" && result.capabilities.version !== this.#surface?.version) {
        refuseOlder(result.signedAt, this.#surface);
        const next = surfaceOf(result.capabilities, result.etag, new Date(), result.signedAt);
        await writeSurface(this.options.generatedDir, next);
        this.#surface = next;
        changed = true;
        this.options.logger.info("capabilities synced", {
          version: next.version,
          tools: next.tools.length,
          tables: next.tables.length,
        });
      }
      if (!this.#surface) throw new Error("the api answered 304 but no surface is on disk");
      this.#syncedAt = new Date();
      this.#error = undefined;
      this.options.metrics?.recordCapabilitySync(
        changed ? "updated" : "unchanged",
        this.#surface.version,
      );
      return { version: this.#surface.version, changed };
    } catch (error) {
      const message = error instanceof Error ? error.message : "capability sync failed";
      // Start-up retries repeat the same failure: log it once per change, not per attempt.
      if (message !== this.#error)
        this.options.logger.warn("capability sync failed", { cause: error });
      this.#error = message;
      this.options.metrics?.recordCapabilitySync("failed");
      throw error;
    }
  }

  /** Syncs until the first success (with backoff), then every interval. */
  start(): void {
    this.#stopped = false;
    const initial = this.options.initialBackoffMs ?? 500;
    const max = this.options.maxBackoffMs ?? 30_000;
    const attempt = (backoff: number) => {
      if (this.#stopped) return;
      this.syncNow().then(
        () => this.#schedule(this.options.intervalMs, () => attempt(initial)),
        () =>
          this.ready
            ? this.#schedule(this.options.intervalMs, () => attempt(initial))
            : this.#schedule(backoff, () => attempt(Math.min(backoff * 2, max))),
      );
    };
    attempt(initial);
  }

  #schedule(delayMs: number, next: () => void) {
    if (this.#stopped) return;
    this.#timer = setTimeout(next, delayMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#queued?.catch(() => undefined);
    await this.#inFlight?.catch(() => undefined);
  }
}

/**
 * A document signed before the one this agent has is an old one served again (a replay, or
 * a stale api process): its tools may be gone or changed, so it is refused and the files
 * stay as they are. A surface from files without a signing time refuses nothing.
 */
function refuseOlder(signedAt: number, current: Surface | undefined): void {
  if (current?.signedAt === undefined || signedAt >= current.signedAt) return;
  throw new AppError(
    "unavailable",
    `the api sent capabilities signed at ${signedAt}, before the ones this agent has ` +
      `(${current.version}, signed at ${current.signedAt}): refused`,
  );
}
