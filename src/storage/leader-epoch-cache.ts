/**
 * The leader epochs of one partition replica: which epoch's leader wrote each range of
 * offsets, as Kafka's LeaderEpochFileCache (KIP-101). The record frame has no field for
 * the epoch (DESIGN.md fixes the frame, and existing logs must still open), so the epoch
 * of a record is the epoch of the last entry starting at or before its offset, and the
 * entries live in `leader-epoch-checkpoint` beside the segments, rewritten atomically
 * whenever they change (only when an epoch begins, a truncation or retention removes
 * entries: never on the append path).
 *
 * Entries ascend in both epoch and start offset. A new epoch always starts at the log
 * end offset of the moment (the leader's end when it is elected; the base offset of the
 * first batch a follower copies from it), and it is written before any of its records,
 * so a crash can leave an entry without records (harmless: an epoch in which nothing was
 * written yet) but never records without their entry.
 */
import { join } from "node:path";
import { StreamNestError } from "../lib/errors.ts";
import { readCheckpoint, writeCheckpointSync } from "./checkpoint-file.ts";

export const LEADER_EPOCH_FILE = "leader-epoch-checkpoint";

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

/** Kafka's OffsetsForLeaderEpoch answer for one partition. */
export interface EpochEndOffset {
  epoch: number;
  endOffset: number;
}

export class LeaderEpochCache {
  private readonly path: string;
  private entries: EpochEntry[];

  private constructor(path: string, entries: EpochEntry[]) {
    this.path = path;
    this.entries = entries;
  }

  /** The cache of a folder with no checkpoint (its listing says so): no epochs yet, nothing to read. */
  static empty(dir: string): LeaderEpochCache {
    return new LeaderEpochCache(join(dir, LEADER_EPOCH_FILE), []);
  }

  /** Loads the checkpoint of `dir` (none: no epochs yet). */
  static load(dir: string): LeaderEpochCache {
    const path = join(dir, LEADER_EPOCH_FILE);
    const rows = readCheckpoint(path, 2) ?? [];
    const entries = rows.map(([epoch, startOffset]) => ({ epoch, startOffset }));
    for (let i = 1; i < entries.length; i++) {
      if (entries[i].epoch <= entries[i - 1].epoch || entries[i].startOffset < entries[i - 1].startOffset) {
        throw new StreamNestError("STORAGE_ERROR", `checkpoint ${path} is damaged: entry ${i} does not ascend`);
      }
    }
    return new LeaderEpochCache(path, entries);
  }

  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  get latest(): EpochEntry | null {
    return this.entries.length === 0 ? null : this.entries[this.entries.length - 1];
  }

  /**
   * Records that `epoch` begins at `startOffset`, which the caller has checked is the log
   * end offset. Returns false (and writes nothing) when `epoch` is already the latest.
   * An older epoch is refused: its leader has been replaced, and the records it would
   * stamp belong to no range the log can keep.
   */
  assign(epoch: number, startOffset: number): boolean {
    if (!Number.isSafeInteger(epoch) || epoch < 0) {
      throw new StreamNestError("INVALID_REQUEST", `a leader epoch is a non-negative integer, got ${String(epoch)}`);
    }
    const latest = this.latest;
    if (latest !== null) {
      if (epoch < latest.epoch) {
        throw new StreamNestError(
          "INVALID_REQUEST",
          `leader epoch ${epoch} is older than the latest epoch ${latest.epoch} of this log (started at offset ${latest.startOffset})`,
        );
      }
      if (startOffset < latest.startOffset) {
        throw new StreamNestError(
          "OFFSET_OUT_OF_RANGE",
          `leader epoch ${epoch} cannot start at offset ${startOffset}, before epoch ${latest.epoch} began (${latest.startOffset})`,
        );
      }
      if (epoch === latest.epoch) return false;
    }
    this.replace([...this.entries, { epoch, startOffset }]);
    return true;
  }

  /** The epoch whose leader wrote `offset`, or null when no entry covers it. */
  epochForOffset(offset: number): number | null {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i].startOffset <= offset) return this.entries[i].epoch;
    }
    return null;
  }

  /**
   * Kafka's OffsetsForLeaderEpoch (KIP-101, KIP-279): for the requested epoch, the largest
   * epoch this log knows that is not larger, and the offset where it ends (the start of
   * the next epoch, or the log end offset for the latest one). A request below the first
   * epoch gets that epoch back with the first entry's start; one above the latest gets null
   * (Kafka's UNDEFINED_EPOCH), as does any request to a log without epochs.
   */
  endOffsetFor(epoch: number, logEndOffset: number): EpochEndOffset | null {
    const latest = this.latest;
    if (latest === null || epoch > latest.epoch) return null;
    if (epoch === latest.epoch) return { epoch, endOffset: logEndOffset };
    let higher = 0;
    while (this.entries[higher].epoch <= epoch) higher++;
    const floor = higher > 0 ? this.entries[higher - 1] : null;
    return { epoch: floor === null ? epoch : floor.epoch, endOffset: this.entries[higher].startOffset };
  }

  /** Drops the entries starting at or after `offset` (records from there are gone). */
  truncateFromEnd(offset: number): boolean {
    const kept = this.entries.filter((e) => e.startOffset < offset);
    if (kept.length === this.entries.length) return false;
    this.replace(kept);
    return true;
  }

  /** Drops entries wholly below the new log start; the last of them now starts there. */
  truncateFromStart(logStartOffset: number): boolean {
    let firstKept = 0;
    while (firstKept + 1 < this.entries.length && this.entries[firstKept + 1].startOffset <= logStartOffset) firstKept++;
    const head = this.entries[firstKept];
    if (head === undefined || (firstKept === 0 && head.startOffset >= logStartOffset)) return false;
    const kept = this.entries.slice(firstKept);
    kept[0] = { epoch: head.epoch, startOffset: Math.max(head.startOffset, logStartOffset) };
    this.replace(kept);
    return true;
  }

  /** Durable first, then in memory: what callers see is always what a restart finds. */
  private replace(entries: EpochEntry[]): void {
    writeCheckpointSync(
      this.path,
      entries.map((e) => [e.epoch, e.startOffset]),
    );
    this.entries = entries;
  }
}
