/**
 * The high watermark (HW) of one partition replica: records below it are committed and
 * may be given to consumers; records from it up to the log end offset (LEO) are not yet.
 *
 * Two modes. "log-end" (a partition with one replica, the default): every append is
 * committed once written, so the HW is the LEO and nothing is written for it. "explicit"
 * (a replicated partition): appends leave the HW alone and the replication layer moves it
 * (the leader to the ISR's smallest LEO, a follower to what its leader says).
 *
 * Persistence, as Kafka's replication-offset-checkpoint (one file per partition here,
 * `high-watermark-checkpoint`): in explicit mode the HW is checkpointed lazily, at most
 * once per `checkpointIntervalMs` while it moves (Kafka's
 * replica.high.watermark.checkpoint.interval.ms, default 5 s), and on close. On open it is
 * read back and clamped to the LEO. Why this is safe:
 * - It never exposes an uncommitted record: the file only ever holds a value the HW had
 *   (it never moves backward), and whenever the log end goes below that value (a
 *   truncation, a torn tail lost at recovery) the file is rewritten lower, durably, before
 *   any new record can be appended above it.
 * - It hides committed records only for a moment: after a crash the HW read back may lag
 *   by up to one interval, exactly as in Kafka; the replication layer re-establishes it
 *   (a follower from its first fetch answer, a leader once its followers fetch), and
 *   nothing committed is lost, since truncation is by leader epoch, not by HW (KIP-101).
 * - A missing file means the log was never in explicit mode (entering explicit mode, at
 *   open or later, writes the file before returning): every record was committed by the
 *   log-end rule, so the HW is the LEO. A log whose records may be uncommitted must
 *   therefore be opened in explicit mode, not switched to it after an open in log-end mode.
 */
import { join } from "node:path";
import { StreamNestError } from "../lib/errors.ts";
import { readCheckpoint, writeCheckpointAsync, writeCheckpointSync } from "./checkpoint-file.ts";
import type { HighWatermarkMode } from "./types.ts";

export const HIGH_WATERMARK_FILE = "high-watermark-checkpoint";

export class HighWatermark {
  private readonly path: string;
  private readonly intervalMs: number;
  private readonly warn: (message: string) => void;
  private currentMode: HighWatermarkMode;
  private current: number;
  /** What the file holds; null when there is none. */
  private checkpointed: number | null;
  /** Bumped by every synchronous write and every lowering, so a slower async write never lands over them. */
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private writing: Promise<void> | null = null;

  /**
   * Reads the checkpoint of `dir` and derives the HW for a log holding [logStart, logEnd).
   * Rewrites the file when it must go down (see above) or when explicit mode has none yet.
   */
  constructor(
    dir: string,
    mode: HighWatermarkMode,
    intervalMs: number,
    logStart: number,
    logEnd: number,
    warn: (message: string) => void,
    /** The folder's listing holds no checkpoint (or it was just made): nothing to read. */
    noCheckpoint = false,
  ) {
    this.path = join(dir, HIGH_WATERMARK_FILE);
    this.intervalMs = intervalMs;
    this.warn = warn;
    this.currentMode = mode;
    const rows = noCheckpoint ? null : readCheckpoint(this.path, 1);
    this.checkpointed = rows === null ? null : (rows[0]?.[0] ?? null);
    if (rows !== null && rows.length !== 1) {
      throw new StreamNestError("STORAGE_ERROR", `checkpoint ${this.path} is damaged: it holds ${rows.length} values`);
    }
    const saved = this.checkpointed;
    if (saved !== null && saved > logEnd) {
      warn(`${dir}: high watermark ${saved} is past the log end ${logEnd}; lowered to it`);
      this.writeSync(logEnd);
    }
    if (mode === "log-end" || saved === null) this.current = logEnd;
    else this.current = Math.max(logStart, Math.min(saved, logEnd));
    if (mode === "explicit" && this.checkpointed === null) this.writeSync(this.current);
  }

  get value(): number {
    return this.current;
  }

  get mode(): HighWatermarkMode {
    return this.currentMode;
  }

  /** Moves the HW up to `offset` (the caller keeps it within the LEO); lower is ignored. */
  advance(offset: number): boolean {
    if (offset <= this.current) return false;
    this.current = offset;
    if (this.mode === "explicit") this.scheduleCheckpoint();
    return true;
  }

  /** Switches mode; entering explicit mode checkpoints the HW first (see above). */
  setMode(mode: HighWatermarkMode, logEnd: number): void {
    if (mode === this.currentMode) return;
    if (mode === "explicit") this.writeSync(this.current);
    this.currentMode = mode;
    if (mode === "log-end") this.advance(logEnd);
  }

  /** Lowers the HW to `offset` if above it (the log was truncated): durable before it returns. */
  lowerTo(offset: number): void {
    if (this.current <= offset) return;
    this.current = offset;
    // An async checkpoint in flight may carry a value above `offset` and rename it over the
    // file after this returns (found by the kill -9 truncation test): it is dropped.
    this.generation++;
    if (this.checkpointed !== null && this.checkpointed > offset) this.writeSync(offset);
  }

  /** Writes the HW now if the file is behind it (explicit mode); resolves once it is durable. */
  async checkpoint(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.writing !== null) await this.writing;
    if (this.mode !== "explicit" || this.checkpointed === this.current) return;
    const value = this.current;
    const generation = this.generation;
    // Noted as written at the rename itself (synchronously), so a lowerTo that runs while
    // the folder is being flushed sees the value the file now holds and rewrites it.
    const renaming = (): boolean => {
      if (this.generation !== generation) return false;
      this.checkpointed = value;
      return true;
    };
    this.writing = writeCheckpointAsync(this.path, [[value]], renaming).then(
      () => {
        this.writing = null;
      },
      (error: unknown) => {
        this.writing = null;
        throw error;
      },
    );
    await this.writing;
  }

  /** At close: the last value, written synchronously, and no timer left behind. */
  closeSync(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.mode === "explicit" && this.checkpointed !== this.current) {
      try {
        this.writeSync(this.current);
      } catch (error) {
        // The file keeps an older value: a lower HW after the restart, never a higher one.
        this.warn(`${this.path}: could not checkpoint the high watermark at close: ${describe(error)}`);
      }
    }
  }

  private scheduleCheckpoint(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.checkpoint().catch((error: unknown) =>
        this.warn(`${this.path}: could not checkpoint the high watermark: ${describe(error)}`),
      );
    }, this.intervalMs);
    this.timer.unref();
  }

  private writeSync(value: number): void {
    this.generation++;
    writeCheckpointSync(this.path, [[value]]);
    this.checkpointed = value;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
