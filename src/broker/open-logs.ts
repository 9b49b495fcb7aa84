import { StreamNestError } from "../lib/errors.ts";
import type { PartitionLog } from "../storage/partition-log.ts";

/**
 * The partition logs a broker keeps open, at most `limit` of them: each costs file
 * descriptors (its index, the index's WAL, one per segment) and a sqlite connection's
 * memory, so a broker that wrote once to each of 10,000 partitions must not keep 10,000
 * open. The least recently used log that nobody holds is closed (flushed per its fsync
 * mode, then its files closed) when a new one would pass the limit, and opened again
 * when next asked for; a cleanly closed log reopens without scanning its segments.
 *
 * A log is held through a lease for as long as something relies on it staying open: an
 * append in flight, a long poll waiting on it, a live tail. A held log is never closed
 * under its holder; the set grows past its limit rather than do that.
 */

export interface LogLease {
  readonly log: PartitionLog;
  /** Gives the log back; later calls do nothing. */
  release(): void;
}

export interface LeaseOptions {
  /** Never closed by the set: its holder keeps the log for good (the group coordinator). */
  keep?: boolean;
  /**
   * Opened for a look only (a describe, retention): closed again as soon as it is
   * released unless someone else used it meanwhile, so it pushes no busy log out.
   */
  passing?: boolean;
}

export interface OpenLogsHooks<T> {
  warn: (message: string) => void;
  /** A log is leaving the set, still open: the last moment to read its state. */
  evicting?: (tag: T, log: PartitionLog) => void;
}

interface Entry<T> {
  readonly dir: string;
  readonly tag: T;
  readonly log: PartitionLog;
  holders: number;
  keep: boolean;
  passing: boolean;
}

export class OpenLogs<T> {
  readonly limit: number;
  private readonly hooks: OpenLogsHooks<T>;
  /** In order of use, least recent first: a Map keeps insertion order, and a use re-inserts. */
  private readonly entries = new Map<string, Entry<T>>();
  /** Logs evicted whose close (a flush) is still running: they are reopened only after it. */
  private readonly closings = new Map<string, Promise<void>>();
  /** Said once: a busy broker would repeat it with every burst. */
  private overLimitSaid = false;

  constructor(limit: number, hooks: OpenLogsHooks<T>) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new StreamNestError("INVALID_REQUEST", `the open log limit must be a whole number of at least 1, got ${limit}`);
    this.limit = limit;
    this.hooks = hooks;
  }

  /** Logs open now (held ones included). */
  get size(): number {
    return this.entries.size;
  }

  /** The log of `dir` if it is open, without counting as a use. */
  get(dir: string): PartitionLog | undefined {
    return this.entries.get(dir)?.log;
  }

  /**
   * The log of `dir` if it is open, counted as a use, without a lease: for a caller done
   * with it before it yields to the event loop (a read that does not wait), when nothing
   * can close the log under it. Saves the promise of acquire on the hot read path.
   */
  use(dir: string): PartitionLog | undefined {
    const entry = this.entries.get(dir);
    if (entry === undefined) return undefined;
    // Used by someone else while opened for a look: it stays open after that look.
    entry.passing = false;
    this.entries.delete(dir);
    this.entries.set(dir, entry);
    return entry.log;
  }

  /** The close of an evicted log of `dir` still running, if any. */
  closing(dir: string): Promise<void> | undefined {
    return this.closings.get(dir);
  }

  /**
   * A lease on the log of `dir`, opened with `open` when it is not. Waits for the close
   * of an earlier eviction of it to finish first: two logs over one folder never coexist.
   */
  async acquire(dir: string, tag: T, open: () => PartitionLog, options: LeaseOptions = {}): Promise<LogLease> {
    for (let closing = this.closings.get(dir); closing !== undefined; closing = this.closings.get(dir)) await closing;
    return this.acquireNow(dir, tag, open, options);
  }

  /**
   * As acquire when it would not wait (no close of `dir` is running), else undefined: a
   * produce takes its lease this way and awaits acquire only then, which spares the hot
   * path a promise and a turn of the microtask queue.
   */
  acquireIfReady(dir: string, tag: T, open: () => PartitionLog, options: LeaseOptions = {}): LogLease | undefined {
    return this.closings.has(dir) ? undefined : this.acquireNow(dir, tag, open, options);
  }

  /**
   * As acquire, without waiting: for callers that cannot wait. A log whose close is still
   * running cannot be opened yet; that is a retriable error.
   */
  acquireNow(dir: string, tag: T, open: () => PartitionLog, options: LeaseOptions = {}): LogLease {
    let entry = this.entries.get(dir);
    if (entry !== undefined) {
      if (!options.passing) {
        entry.passing = false;
        this.entries.delete(dir);
        this.entries.set(dir, entry);
      }
    } else {
      if (this.closings.has(dir))
        throw new StreamNestError("LEADER_UNAVAILABLE", `the log of ${dir} is being closed; retry`);
      entry = { dir, tag, log: open(), holders: 0, keep: false, passing: options.passing === true };
      this.entries.set(dir, entry);
    }
    if (options.keep) entry.keep = true;
    entry.holders++;
    // A log opened for a look closes again on release: it takes no busy log's place.
    if (!entry.passing) this.evictOverLimit();
    return this.lease(entry);
  }

  /**
   * Takes the log of `dir` out of the set whoever holds it (its topic was deleted) and
   * hands it, still open, to the caller to close; undefined when it was not open.
   */
  detach(dir: string): PartitionLog | undefined {
    const entry = this.entries.get(dir);
    if (entry === undefined) return undefined;
    this.entries.delete(dir);
    return entry.log;
  }

  /** Closes every log (the broker is closing), flushed per its fsync mode. */
  async closeAll(): Promise<void> {
    const logs = [...this.entries.values()].map((e) => e.log);
    this.entries.clear();
    await Promise.all([...logs.map((log) => log.close()), ...this.closings.values()]);
  }

  private lease(entry: Entry<T>): LogLease {
    let released = false;
    return {
      log: entry.log,
      release: () => {
        if (released) return;
        released = true;
        entry.holders--;
        // Detached meanwhile (topic deleted): its new owner closes it.
        if (this.entries.get(entry.dir) !== entry || entry.holders > 0) return;
        if (entry.passing && !entry.keep) this.evict(entry);
        else this.evictOverLimit();
      },
    };
  }

  private evictOverLimit(): void {
    if (this.entries.size <= this.limit) return;
    for (const entry of this.entries.values()) {
      if (this.entries.size <= this.limit) return;
      if (entry.holders === 0 && !entry.keep) this.evict(entry);
    }
    if (this.entries.size > this.limit && !this.overLimitSaid) {
      this.overLimitSaid = true;
      this.hooks.warn(
        `${this.entries.size} partition logs are open, more than --max-open-partitions=${this.limit}: each is in use (an append, a long poll, a live tail, a group coordinator) and stays open until it is not`,
      );
    }
  }

  private evict(entry: Entry<T>): void {
    this.entries.delete(entry.dir);
    try {
      this.hooks.evicting?.(entry.tag, entry.log);
    } catch (error) {
      this.hooks.warn(`${entry.dir}: ${error instanceof Error ? error.message : String(error)}`);
    }
    // A clean log closes on the spot, so its descriptors are free before the next open.
    try {
      if (entry.log.closeIfIdle()) return;
    } catch (error) {
      // Its files are as closed as they will get; the open that made room must not fail for it.
      this.hooks.warn(`closing ${entry.dir} failed: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const closing = entry.log
      .close()
      .catch((error: unknown) => this.hooks.warn(`closing ${entry.dir} failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        if (this.closings.get(entry.dir) === closing) this.closings.delete(entry.dir);
      });
    this.closings.set(entry.dir, closing);
  }
}
