import { existsSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { forgetHeld, markHeld } from "./held-partitions.ts";
import { StreamNestError } from "../lib/errors.ts";
import { deletePartitionLog, PartitionLog } from "../storage/partition-log.ts";
import { isOutOfFiles } from "../storage/storage-failure.ts";
import type { LogOptions } from "../storage/types.ts";
import { type LogLease, OpenLogs } from "./open-logs.ts";
import { type LogStats, type PartitionState, statsOf } from "./topic-catalog.ts";

/**
 * The partition logs of this broker: opened on first use (a 10,000-partition topic
 * costs nothing until written), held through leases while something relies on them,
 * at most `limit` idle ones kept open (the least recently used closed when another
 * must open), and deleted with their topic.
 */
export class LogLeases {
  private readonly open: OpenLogs<PartitionState>;
  /** Folders being deleted: not reopened until they are gone. */
  private readonly deletingDirs = new Set<string>();
  private readonly deletions = new Set<Promise<void>>();

  constructor(
    limit: number,
    private readonly options: Partial<LogOptions>,
    private readonly lifetime: AbortSignal,
    private readonly warn: (message: string) => void,
  ) {
    this.open = new OpenLogs<PartitionState>(limit, {
      warn,
      evicting: (ps, log) => (ps.closed = statsOf(log)),
    });
  }

  get limit(): number {
    return this.open.limit;
  }

  /** The partition's log if it is open now. */
  get(ps: PartitionState): PartitionLog | undefined {
    return this.open.get(ps.dir);
  }

  /** The partition's log if it is open now, counted as a use; only for use within one synchronous step. */
  useOpen(ps: PartitionState): PartitionLog | undefined {
    return this.open.use(ps.dir);
  }

  /** Whether the partition was ever written: its log is open, was, or its folder exists. */
  isWritten(ps: PartitionState): boolean {
    return this.open.get(ps.dir) !== undefined || ps.closed !== undefined || existsSync(ps.dir);
  }

  /** A lease on the partition's log, opening it (and creating its folder) if need be. */
  lease(ps: PartitionState): Promise<LogLease> {
    return this.open.acquire(ps.dir, ps, () => this.openLog(ps), { keep: ps.keepOpen });
  }

  /** As lease() when that would not wait (no close of the log is running), else undefined. */
  leaseIfReady(ps: PartitionState): LogLease | undefined {
    return this.open.acquireIfReady(ps.dir, ps, () => this.openLog(ps), { keep: ps.keepOpen });
  }

  /** A lease on the log if the partition was ever written, else undefined. */
  async leaseWritten(ps: PartitionState): Promise<LogLease | undefined> {
    return this.isWritten(ps) ? this.lease(ps) : undefined;
  }

  /** A lease for a look only (retention): closed again once released unless used meanwhile. */
  leasePassing(ps: PartitionState): Promise<LogLease> {
    return this.open.acquire(ps.dir, ps, () => this.openLog(ps), { passing: true });
  }

  /**
   * The log, opened if need be and counted as a use, without holding it: for a caller
   * done with it before it yields (the log may be closed, to make room, afterwards).
   * Replicated partitions' logs are used this way, so they count toward the limit.
   */
  touch(ps: PartitionState): PartitionLog {
    const lease = this.open.acquireNow(ps.dir, ps, () => this.openLog(ps), { keep: ps.keepOpen });
    lease.release();
    return lease.log;
  }

  /**
   * Calls `listener` with every log object opened from now on, before anyone can append
   * to it: a log closed to make room and opened again is a new object, and whoever
   * listens to its appends (the replication driver) must listen again.
   */
  onOpen(listener: (ps: PartitionState, log: PartitionLog) => void): () => void {
    this.openListeners.add(listener);
    return () => this.openListeners.delete(listener);
  }

  private readonly openListeners = new Set<(ps: PartitionState, log: PartitionLog) => void>();

  /** The log, kept open for good (the group coordinator's `__consumer_offsets`). */
  keep(ps: PartitionState): PartitionLog {
    return this.open.acquireNow(ps.dir, ps, () => this.openLog(ps), { keep: true }).log;
  }

  /**
   * Start and end offsets and size, without opening a closed log; a log written before
   * this start and not opened since is opened for the look and closed again.
   */
  stats(ps: PartitionState): LogStats | undefined {
    const open = this.open.get(ps.dir);
    if (open) return statsOf(open);
    if (ps.closed) return ps.closed;
    if (!existsSync(ps.dir)) return undefined;
    const lease = this.open.acquireNow(ps.dir, ps, () => this.openLog(ps), { keep: ps.keepOpen, passing: true });
    try {
      return statsOf(lease.log);
    } finally {
      lease.release();
    }
  }

  /** Stats of a log open now or seen when it was closed; undefined otherwise (nothing is opened). */
  knownStats(ps: PartitionState): LogStats | undefined {
    const open = this.open.get(ps.dir);
    return open ? statsOf(open) : ps.closed;
  }

  /** Removes the partition's log and folder, after any close still running on it. */
  delete(ps: PartitionState): void {
    forgetHeld(dirname(ps.dir), ps);
    const log = this.open.detach(ps.dir);
    // A log evicted just before still has its close running: the folder goes after it.
    const closing = this.open.closing(ps.dir);
    this.deletingDirs.add(ps.dir);
    const removal = log
      ? deletePartitionLog(log)
      : closing
        ? closing.then(() => rmSync(ps.dir, { recursive: true, force: true }))
        : Promise.resolve(rmSync(ps.dir, { recursive: true, force: true }));
    const done = removal
      .catch((error: unknown) => this.warn(`could not delete ${ps.dir}: ${(error as Error).message}`))
      .finally(() => {
        this.deletingDirs.delete(ps.dir);
        this.deletions.delete(done);
      });
    this.deletions.add(done);
  }

  /** Resolves once every deletion started so far (and any started meanwhile) is done. */
  async settleDeletions(): Promise<void> {
    while (this.deletions.size > 0) await Promise.all([...this.deletions]);
  }

  async closeAll(): Promise<void> {
    await this.open.closeAll();
  }

  /** Only through `open`, which keeps the count of open logs and never opens a folder twice. */
  private openLog(ps: PartitionState): PartitionLog {
    if (this.lifetime.aborted) throw new StreamNestError("LEADER_UNAVAILABLE", "the broker is shutting down");
    if (this.deletingDirs.has(ps.dir))
      throw new StreamNestError("LEADER_UNAVAILABLE", `the previous data of ${ps.dir} is still being deleted; retry`);
    try {
      // A replicated partition's log is in explicit mode from its first open: its records
      // are committed only once the ISR has them (see storage/high-watermark.ts).
      const replicated = ps.assignment.replicas.length > 1;
      // Marked before the folder is made, so a folder that is ever there is marked.
      try {
        markHeld(dirname(ps.dir), ps);
      } catch (error) {
        this.warn(`${ps.dir}: could not mark the partition as held here (${(error as Error).message}); its loss would go unnoticed`);
      }
      const log = PartitionLog.open(ps.dir, replicated ? { ...this.options, highWatermark: "explicit" } : this.options, this.warn);
      for (const listener of this.openListeners) {
        try {
          listener(ps, log);
        } catch (error) {
          this.warn(`${ps.dir}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      return log;
    } catch (error) {
      if (!isOutOfFiles(error)) throw error;
      throw new StreamNestError(
        "STORAGE_ERROR",
        `${(error as Error).message}, or lower --max-open-partitions (now ${this.open.limit}, with ${this.open.size} partition logs open)`,
      );
    }
  }
}
