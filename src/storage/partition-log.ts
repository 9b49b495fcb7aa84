/**
 * The log of one partition: a folder of segment files plus the sqlite offset index.
 *
 * Appends arriving in one turn of the event loop are coalesced into one write per
 * segment and one index transaction (group commit); with fsync "always" one flush to the
 * device serves every append waiting on it. An append resolves only after its bytes were
 * handed to the operating system, so kill -9 of the process never loses an acknowledged
 * record; power loss is covered to the degree the fsync mode promises.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, resolve as resolvePath } from "node:path";
import { StreamNestError } from "../lib/errors.ts";
import { isCheckpointTemp, syncDir } from "./checkpoint-file.ts";
import { HighWatermark } from "./high-watermark.ts";
import { type EpochEndOffset, type EpochEntry, LeaderEpochCache } from "./leader-epoch-cache.ts";
import { type IndexEntry, type OffsetIndex, openOffsetIndex, replaceOffsetIndex } from "./offset-index.ts";
import { encodeFrame, type SizedRecord, sizeRecord, viewOf } from "./record-codec.ts";
import { type RecoveredLog, recoverLog } from "./recovery.ts";
import { segmentsToDelete } from "./retention.ts";
import { listSegmentBases, Segment, segmentFileName } from "./segment.ts";
import { isIndexCorrupt, storageFailure } from "./storage-failure.ts";
import { type ReadProgress, walkSegment } from "./segment-reader.ts";
import {
  clearTruncationIntent,
  redoInterruptedTruncation,
  type TruncationIntent,
  writeTruncationIntent,
} from "./truncation.ts";
import {
  type AppendResult,
  DEFAULT_LOG_OPTIONS,
  type HighWatermarkMode,
  type LogOptions,
  type ReadOptions,
  type RecordInput,
  type StoredRecord,
} from "./types.ts";
import { validateLogOptions, validateOffset, validateRecord } from "./validate.ts";

interface PendingAppend {
  records: SizedRecord[];
  /** appendAt: the offset its first record must get. */
  at: number | null;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

interface WrittenAppend {
  result: AppendResult;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/** Folders open in this process: two logs over one folder would overwrite each other. */
const openDirs = new Set<string>();

export class PartitionLog {
  readonly dir: string;
  private readonly options: LogOptions;
  private readonly warn: (message: string) => void;
  /** Replaced by a rebuilt one when sqlite finds the file damaged while the log runs. */
  private index: OffsetIndex;
  private segments: Segment[];
  /** Newest timestamp per rolled (immutable) segment, for age retention. */
  private readonly newestTimestamps = new Map<number, number | null>();
  private end: number;
  private readonly hw: HighWatermark;
  private readonly epochs: LeaderEpochCache;
  private pending: PendingAppend[] = [];
  /** Records in `pending`: the log end offset once they are written. */
  private pendingRecords = 0;
  private writeScheduled = false;
  /** Written appends waiting for the next device flush (fsync "always"). */
  private awaitingFlush: WrittenAppend[] = [];
  private flushInFlight: Promise<void> | null = null;
  private readonly listeners = new Set<(endOffset: number) => void>();
  private readonly hwListeners = new Set<(highWatermark: number) => void>();
  /** A truncation failed half-way: appends are refused until a restart finishes it. */
  private broken: StreamNestError | null = null;
  private readonly intervalTimer: ReturnType<typeof setInterval> | null = null;
  private closing: Promise<void> | null = null;
  /** The last append failed for want of space: said once in the log, and once when appends resume. */
  private full = false;

  private constructor(dir: string, options: LogOptions, warn: (message: string) => void) {
    this.dir = dir;
    this.options = options;
    this.warn = warn;
    let created: string | undefined;
    let opened: { index: OffsetIndex; recovered: RecoveredLog; intent: TruncationIntent | null } | undefined;
    try {
      created = mkdirSync(dir, { recursive: true });
      opened = openAndRecover(dir, warn);
      this.index = opened.index;
      this.segments = opened.recovered.segments;
      this.end = opened.recovered.endOffset;
      this.epochs = LeaderEpochCache.load(dir);
      // Epochs starting past the end began with records a crash lost; those from an
      // interrupted truncation's offset on went with the truncated records.
      this.epochs.truncateFromEnd(Math.min(opened.intent?.offset ?? Number.MAX_SAFE_INTEGER, this.end + 1));
      this.hw = new HighWatermark(dir, options.highWatermark, options.highWatermarkCheckpointMs, this.startOffset, this.end, warn);
      // Last: until the epochs and the high watermark are down, the next open must redo it.
      if (opened.intent !== null) clearTruncationIntent(dir);
      removeCheckpointTemps(dir);
    } catch (error) {
      if (opened !== undefined) {
        for (const segment of opened.recovered.segments) segment.close();
        opened.index.close();
      }
      // A folder made by this open holds nothing worth keeping; left behind (say, by a
      // full disk) it would make the partition look written, and every describe trip on it.
      if (created !== undefined) removeQuietly(created);
      throw storageFailure(error, `opening partition log ${dir}`);
    }
    if (options.fsync === "interval") {
      this.intervalTimer = setInterval(() => {
        this.flushDirty().catch((error: unknown) => this.warn(`${this.dir}: periodic flush failed: ${describe(error)}`));
      }, options.fsyncIntervalMs);
      // The timer must not keep an otherwise finished process alive.
      this.intervalTimer.unref();
    }
  }

  /** Opens (creating if missing) the partition folder and recovers it. Synchronous. */
  static open(dir: string, options: Partial<LogOptions> = {}, warn: (message: string) => void = console.warn): PartitionLog {
    const full = { ...DEFAULT_LOG_OPTIONS, ...options };
    validateLogOptions(full);
    const key = resolvePath(dir);
    if (openDirs.has(key)) throw new StreamNestError("STORAGE_ERROR", `partition log ${dir} is already open`);
    const log = new PartitionLog(dir, full, warn);
    openDirs.add(key);
    return log;
  }

  /** First offset still kept (moves forward with retention). */
  get startOffset(): number {
    return this.segments[0].baseOffset;
  }

  /** The log end offset (LEO): the offset the next record written gets. */
  get logEndOffset(): number {
    return this.end;
  }

  // alias of logEndOffset; removed when callers move
  get endOffset(): number {
    return this.end;
  }

  /** Records below the high watermark are committed: the ones consumers may read. */
  get highWatermark(): number {
    return this.hw.value;
  }

  get highWatermarkMode(): HighWatermarkMode {
    return this.hw.mode;
  }

  /**
   * The replication layer's word that records below `offset` are committed. The high
   * watermark never moves backward (a lower value is ignored: false) and never passes the
   * log end offset (refused). Returns whether it moved.
   */
  setHighWatermark(offset: number): boolean {
    this.assertOpen();
    validateOffset(offset, "a high watermark");
    if (offset > this.end) {
      throw new StreamNestError(
        "OFFSET_OUT_OF_RANGE",
        `high watermark ${offset} would pass the log end offset ${this.end}`,
        { logEndOffset: this.end, highWatermark: this.hw.value },
      );
    }
    if (!this.hw.advance(offset)) return false;
    this.notifyHighWatermark();
    return true;
  }

  /**
   * "log-end": the high watermark follows every append (and jumps to the end now);
   * "explicit": only setHighWatermark moves it. See high-watermark.ts for what a log that
   * may hold uncommitted records must be opened with.
   */
  setHighWatermarkMode(mode: HighWatermarkMode): void {
    this.assertOpen();
    if (mode !== "log-end" && mode !== "explicit") {
      throw new StreamNestError("INVALID_REQUEST", `high watermark mode must be log-end or explicit, got ${String(mode)}`);
    }
    const before = this.hw.value;
    try {
      this.hw.setMode(mode, this.end);
    } catch (error) {
      throw storageFailure(error, `checkpointing the high watermark of ${this.dir}`);
    }
    if (this.hw.value !== before) this.notifyHighWatermark();
  }

  /** Writes the high-watermark checkpoint now if it is behind (explicit mode); resolves once durable. */
  checkpointHighWatermark(): Promise<void> {
    this.assertOpen();
    return this.hw.checkpoint().catch((error: unknown) => {
      throw storageFailure(error, `checkpointing the high watermark of ${this.dir}`);
    });
  }

  /** Calls `listener` with the high watermark each time it moves up. */
  onHighWatermark(listener: (highWatermark: number) => void): () => void {
    this.hwListeners.add(listener);
    return () => {
      this.hwListeners.delete(listener);
    };
  }

  /** The leader-epoch entries, oldest first (Kafka's leader-epoch-checkpoint). */
  get leaderEpochs(): readonly EpochEntry[] {
    return this.epochs.all;
  }

  /** The epoch of the newest entry, or null before any epoch was assigned. */
  get latestEpoch(): number | null {
    return this.epochs.latest?.epoch ?? null;
  }

  /**
   * Records that leader epoch `epoch` begins at `startOffset`, which must be the log end
   * offset (counting appends not yet written); durable before it returns. Returns false
   * when `epoch` already is the latest; an older epoch is refused.
   */
  assignEpoch(epoch: number, startOffset: number): boolean {
    this.assertWritable();
    validateOffset(startOffset, "an epoch's start offset");
    const end = this.end + this.pendingRecords;
    if (startOffset !== end) {
      throw new StreamNestError(
        "OFFSET_OUT_OF_RANGE",
        `leader epoch ${epoch} cannot start at offset ${startOffset}: a new epoch starts at the log end offset, ${end}`,
        { logEndOffset: end },
      );
    }
    try {
      return this.epochs.assign(epoch, startOffset);
    } catch (error) {
      throw storageFailure(error, `assigning leader epoch ${epoch} in ${this.dir}`);
    }
  }

  /** The leader epoch under which `offset` was written, or null when no entry covers it. */
  epochForOffset(offset: number): number | null {
    this.assertOpen();
    validateOffset(offset, "an offset");
    return this.epochs.epochForOffset(offset);
  }

  /**
   * Kafka's OffsetsForLeaderEpoch: the largest epoch not above `epoch` and the offset where
   * it ends here (the next epoch's start, or the log end offset); null when `epoch` is
   * above every epoch this log knows (Kafka's UNDEFINED_EPOCH_OFFSET).
   */
  endOffsetForEpoch(epoch: number): EpochEndOffset | null {
    this.assertOpen();
    validateOffset(epoch, "a leader epoch");
    return this.epochs.endOffsetFor(epoch, this.end);
  }

  /** Bytes of all segment files. */
  get sizeBytes(): number {
    let total = 0;
    for (const segment of this.segments) total += segment.size;
    return total;
  }

  /** Bytes of the offset index database. */
  get indexBytes(): number {
    return this.index.sizeBytes();
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /**
   * Appends a batch. Calls made in one turn of the event loop share one write and one
   * index transaction; the promise resolves once the write returned (and, with fsync
   * "always", once the flush serving it finished).
   */
  append(records: RecordInput[]): Promise<AppendResult> {
    try {
      this.assertWritable();
      return this.enqueue(this.sizeAll(records), null);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Appends records at the offsets they had on the leader: `offset` must be exactly the
   * log end offset (counting appends not yet written), and a record that carries an
   * `offset` (a StoredRecord read from the leader) must hold offset + its position.
   * Timestamps, keys, values and headers are kept as given. With `leaderEpoch`, the batch
   * is stamped with it: a newer epoch is assigned at `offset` (durably, before the records
   * are written), the latest one is a no-op, an older one is refused. Calls made in one
   * turn are written together, as appends are.
   */
  appendAt(offset: number, records: RecordInput[], leaderEpoch?: number): Promise<AppendResult> {
    try {
      this.assertWritable();
      validateOffset(offset, "an append offset");
      const end = this.end + this.pendingRecords;
      if (offset !== end) {
        throw new StreamNestError(
          "OFFSET_OUT_OF_RANGE",
          `append at offset ${offset} refused: the log end offset is ${end}, and records are only appended there`,
          { logEndOffset: end },
        );
      }
      const sized = this.sizeAll(records);
      for (let i = 0; i < records.length; i++) {
        const given = (records[i] as Partial<StoredRecord>).offset;
        if (given !== undefined && given !== offset + i) {
          throw new StreamNestError(
            "INVALID_REQUEST",
            `record ${i} of an append at offset ${offset} holds offset ${String(given)}, not ${offset + i}`,
          );
        }
      }
      if (leaderEpoch !== undefined) this.assignEpoch(leaderEpoch, offset);
      return this.enqueue(sized, offset);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private sizeAll(records: RecordInput[]): SizedRecord[] {
    if (!Array.isArray(records) || records.length === 0) {
      throw new StreamNestError("INVALID_REQUEST", "an append needs at least one record");
    }
    const sized: SizedRecord[] = [];
    for (let i = 0; i < records.length; i++) {
      validateRecord(records[i], i);
      const s = sizeRecord(records[i]);
      if (s.frameBytes > this.options.maxRecordBytes) {
        throw new StreamNestError(
          "MESSAGE_TOO_LARGE",
          `record ${i} takes ${s.frameBytes} bytes encoded; the limit is ${this.options.maxRecordBytes}`,
        );
      }
      sized.push(s);
    }
    return sized;
  }

  private enqueue(records: SizedRecord[], at: number | null): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.push({ records, at, resolve, reject });
      this.pendingRecords += records.length;
      if (!this.writeScheduled) {
        this.writeScheduled = true;
        // setImmediate, not a microtask: appends from every I/O callback of this loop
        // turn (e.g. several HTTP requests) join the same write.
        setImmediate(() => this.writePending());
      }
    });
  }

  /**
   * Records from `offset` on: at most maxRecords, and stopping before maxBytes (of
   * encoded frames) would be exceeded, but always at least one record when there is one,
   * as Kafka's fetch does since KIP-74 so a large record never blocks a consumer.
   *
   * A read stops at the high watermark (what consumers may see) unless `upTo` is
   * "log-end" (a follower's fetch). Any offset up to the log end offset is in range: one
   * at or past the bound reads nothing, as Kafka's fetch answers an offset between the
   * high watermark and the log end.
   */
  read(offset: number, maxRecords: number, maxBytes: number, options: ReadOptions = {}): StoredRecord[] {
    this.assertOpen();
    if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
      throw new StreamNestError("INVALID_OFFSET", `offset must be a non-negative integer, got ${String(offset)}`);
    }
    if (typeof maxRecords !== "number" || !(Number.isSafeInteger(maxRecords) || maxRecords === Infinity) || maxRecords < 1) {
      throw new StreamNestError("INVALID_REQUEST", `max records must be an integer of at least 1, got ${String(maxRecords)}`);
    }
    if (typeof maxBytes !== "number" || Number.isNaN(maxBytes) || maxBytes < 1) {
      throw new StreamNestError("INVALID_REQUEST", `max bytes must be at least 1, got ${String(maxBytes)}`);
    }
    const start = this.startOffset;
    if (offset < start || offset > this.end) {
      throw new StreamNestError(
        "OFFSET_OUT_OF_RANGE",
        `offset ${offset} is outside the partition's range [${start}, ${this.end}]`,
        { startOffset: start, endOffset: this.end },
      );
    }
    const upTo = options.upTo ?? "high-watermark";
    if (upTo !== "high-watermark" && upTo !== "log-end") {
      throw new StreamNestError("INVALID_REQUEST", `a read goes up to the high-watermark or the log-end, got ${String(upTo)}`);
    }
    if (offset >= (upTo === "log-end" ? this.end : this.hw.value)) return [];
    try {
      return this.readFrom(offset, maxRecords, maxBytes, upTo);
    } catch (error) {
      if (!isIndexCorrupt(error)) throw storageFailure(error, `reading ${this.dir} at offset ${offset}`);
      try {
        this.rebuildIndex(error);
        return this.readFrom(offset, maxRecords, maxBytes, upTo);
      } catch (again) {
        throw storageFailure(again, `reading ${this.dir} at offset ${offset}`);
      }
    }
  }

  private readFrom(offset: number, maxRecords: number, maxBytes: number, upTo: "high-watermark" | "log-end"): StoredRecord[] {
    const bound = upTo === "log-end" ? this.end : this.hw.value;
    // One point lookup where the read starts; the frames after it are walked in place.
    const first = this.index.get(offset);
    if (first === null) {
      // Recovery indexes every record it can read: a missing offset is one it found corrupt.
      const message = `record at offset ${offset} of ${this.dir} is unreadable (corrupt data in its segment)`;
      this.warn(message);
      throw new StreamNestError("CORRUPT_RECORD", message, { offset });
    }
    const budget = { maxRecords, maxBytes };
    const progress: ReadProgress = { offset, bytes: 0, out: [] };
    let i = this.segmentPosition(first.segment);
    if (i < 0) return this.stopRead(progress, first.segment, first.position, `segment ${first.segment} is missing`);
    let position = first.position;
    let indexedLength: number | null = first.length;
    for (;;) {
      const segment = this.segments[i];
      const next = this.segments[i + 1];
      const stopOffset = next === undefined ? bound : Math.min(bound, next.baseOffset);
      const stop = walkSegment(segment, position, indexedLength, stopOffset, budget, progress);
      if (stop.kind === "bad") return this.stopRead(progress, segment.baseOffset, stop.position, stop.reason);
      if (progress.out.length >= maxRecords || progress.offset >= bound) return progress.out;
      const intoNext = next !== undefined && next.baseOffset === progress.offset;
      // A walk that is done short of the next segment spent a budget.
      if (stop.kind === "done" && !intoNext) return progress.out;
      if (!intoNext) {
        // The segment ended before the next one begins: offsets recovery found missing.
        return this.stopRead(progress, segment.baseOffset, segment.size, `offsets from ${progress.offset} are missing`);
      }
      i++;
      position = 0;
      indexedLength = null;
    }
  }

  /**
   * Ends a read at a frame that cannot be returned: an error when nothing was read yet;
   * otherwise the records before it, with a warning unless the index also lacks the
   * offset (a gap recovery already reported, which every read running into it would repeat).
   */
  private stopRead(progress: ReadProgress, segment: number, position: number, problem: string): StoredRecord[] {
    const message = `corrupt record at offset ${progress.offset} of ${this.dir} (segment ${segment}, position ${position}): ${problem}`;
    if (progress.out.length === 0) {
      this.warn(message);
      throw new StreamNestError("CORRUPT_RECORD", message, { offset: progress.offset });
    }
    if (this.index.get(progress.offset) !== null) this.warn(message);
    return progress.out;
  }

  /** Position in `segments` of the segment with this base offset, or -1. */
  private segmentPosition(base: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const b = this.segments[mid].baseOffset;
      if (b === base) return mid;
      if (b < base) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Calls `listener` with the new end offset after each coalesced append is durable per the fsync mode. */
  onAppend(listener: (endOffset: number) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Deletes whole old segments past retention (age, bytes); never the active one. */
  enforceRetention(now: number = Date.now()): number {
    this.assertOpen();
    const { retentionMs, retentionBytes } = this.options;
    if (retentionMs === undefined && retentionBytes === undefined) return 0;
    const candidates = this.segments.map((segment, i) => ({
      sizeBytes: segment.size,
      newestTimestamp: () => this.newestTimestamp(segment, this.segments[i + 1]?.baseOffset ?? this.end),
    }));
    // Only segments wholly below the high watermark: an uncommitted record is not the
    // log's to drop, and the log start never passes the high watermark (as in Kafka).
    let committed = 0;
    while (committed < this.segments.length - 1 && this.segments[committed + 1].baseOffset <= this.hw.value) committed++;
    const count = Math.min(committed, segmentsToDelete(candidates, { retentionMs, retentionBytes }, now));
    if (count === 0) return 0;
    const doomed = this.segments.slice(0, count);
    this.segments = this.segments.slice(count);
    // The file goes first: recovery drops index rows below the first segment left, so a
    // crash between the two steps leaves nothing inconsistent.
    for (const segment of doomed) {
      segment.delete();
      this.newestTimestamps.delete(segment.baseOffset);
    }
    this.index.deleteBelow(this.startOffset);
    try {
      this.epochs.truncateFromStart(this.startOffset);
    } catch (error) {
      // The entries below the start only describe records that are gone; the next
      // retention pass tries again.
      this.warn(`${this.dir}: could not rewrite the leader-epoch checkpoint after retention: ${describe(error)}`);
    }
    return count;
  }

  /**
   * Removes every record at and after `offset` (a follower dropping a tail that diverged
   * from its leader): later segments are deleted, the one holding `offset` is cut, their
   * index rows go, epochs starting at or after `offset` go, and the high watermark comes
   * down to `offset` if it was above. Appends not yet written are written first, so the
   * truncation applies to everything appended before the call. Synchronous, and durable
   * when it returns; crash-safe as truncation.ts explains (a kill -9 at any point leaves
   * the old end or the new one after recovery). `offset` must lie in [log start, LEO];
   * the LEO itself changes nothing.
   */
  truncateTo(offset: number): void {
    this.assertWritable();
    validateOffset(offset, "a truncation offset");
    if (this.pending.length > 0) this.writePending();
    if (offset < this.startOffset || offset > this.end) {
      throw new StreamNestError(
        "OFFSET_OUT_OF_RANGE",
        `truncation to offset ${offset} refused: the log holds offsets [${this.startOffset}, ${this.end}), and only an offset from its start to its end can be its new end`,
        { startOffset: this.startOffset, logEndOffset: this.end },
      );
    }
    if (offset === this.end) return;
    const intent = this.locate(offset);
    const holder = this.segmentPosition(intent.segment);
    try {
      writeTruncationIntent(this.dir, intent);
    } catch (error) {
      // Nothing was changed: the log keeps its end and stays usable.
      throw storageFailure(error, `truncating ${this.dir} to offset ${offset}`);
    }
    // From here on the truncation is decided: reads stop at the new end at once.
    this.end = offset;
    try {
      this.index.deleteFrom(offset);
      for (const doomed of this.segments.splice(holder + 1).reverse()) {
        doomed.delete();
        this.newestTimestamps.delete(doomed.baseOffset);
      }
      const segment = this.segments[holder];
      // The holder is the active segment now: its newest timestamp is no longer fixed.
      this.newestTimestamps.delete(segment.baseOffset);
      if (segment.size > intent.position) segment.truncate(intent.position);
      segment.dirty = true;
      segment.flushSync();
      syncDir(this.dir);
      this.epochs.truncateFromEnd(offset);
      this.hw.lowerTo(offset);
      clearTruncationIntent(this.dir);
    } catch (error) {
      this.hw.lowerTo(offset);
      this.broken = storageFailure(
        error,
        `truncating ${this.dir} to offset ${offset} (appends are refused until a restart finishes the truncation)`,
      );
      throw this.broken;
    }
  }

  /** Where the frame of `offset` (a record of this log, or its end) begins. */
  private locate(offset: number): TruncationIntent {
    let i = this.segments.length - 1;
    while (i > 0 && this.segments[i].baseOffset > offset) i--;
    const segment = this.segments[i];
    if (offset === segment.baseOffset) return { offset, segment: segment.baseOffset, position: 0 };
    const row = this.index.get(offset);
    if (row !== null && row.segment === segment.baseOffset) return { offset, segment: row.segment, position: row.position };
    // The record at `offset` may be one recovery found corrupt: its predecessor ends where it began.
    const before = this.index.get(offset - 1);
    if (before !== null && before.segment === segment.baseOffset) {
      return { offset, segment: before.segment, position: before.position + before.length };
    }
    throw new StreamNestError(
      "CORRUPT_RECORD",
      `truncation to offset ${offset} of ${this.dir} refused: neither that record nor the one before it is readable`,
      { offset },
    );
  }

  private newestTimestamp(segment: Segment, nextBase: number): number | null {
    const cached = this.newestTimestamps.get(segment.baseOffset);
    if (cached !== undefined) return cached;
    const newest = this.index.maxTimestamp(segment.baseOffset, nextBase);
    // Only rolled segments are immutable; the active one is never a candidate anyway.
    if (segment !== this.segments[this.segments.length - 1]) this.newestTimestamps.set(segment.baseOffset, newest);
    return newest;
  }

  /** Writes pending appends now and flushes every segment to the device. */
  async flush(): Promise<void> {
    this.assertOpen();
    await this.drain();
    await this.checkpointHighWatermark();
  }

  /** Flushes, then closes the files and the index. Later calls of any other method throw. */
  close(): Promise<void> {
    if (this.closing === null) this.closing = this.closeNow();
    return this.closing;
  }

  /**
   * Closes at once when nothing is left to write or flush (no append pending or awaiting
   * its flush, no segment written since its last flush) and returns true; otherwise
   * returns false, still open, and close() is the way. A log given up only to free its
   * files is closed this way without a turn of the event loop, so it can be reopened at once.
   */
  closeIfIdle(): boolean {
    if (this.closing !== null) return false;
    if (this.pending.length > 0 || this.awaitingFlush.length > 0 || this.flushInFlight !== null) return false;
    if (this.segments.some((s) => s.dirty)) return false;
    this.closing = Promise.resolve();
    this.release();
    return true;
  }

  private async closeNow(): Promise<void> {
    try {
      await this.drain();
    } finally {
      this.release();
    }
  }

  private release(): void {
    if (this.intervalTimer !== null) clearInterval(this.intervalTimer);
    this.hw.closeSync();
    this.listeners.clear();
    this.hwListeners.clear();
    for (const segment of this.segments) segment.close();
    this.index.close();
    openDirs.delete(resolvePath(this.dir));
  }

  /** Writes what is pending and waits until everything written is on the device. */
  private async drain(): Promise<void> {
    if (this.pending.length > 0) this.writePending();
    while (this.flushInFlight !== null) await this.flushInFlight;
    await this.flushDirty();
  }

  private assertOpen(): void {
    if (this.closing !== null) throw new StreamNestError("STORAGE_ERROR", `partition log ${this.dir} is closed`);
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.broken !== null) throw this.broken;
  }

  private flushDirty(): Promise<void> {
    const dirty = this.segments.filter((s) => s.dirty);
    return dirty.length === 0 ? Promise.resolve() : Promise.all(dirty.map((s) => s.flush())).then(() => undefined);
  }

  /** One coalesced group: one write per segment touched, one index transaction. */
  private writePending(): void {
    this.writeScheduled = false;
    const group = this.pending;
    this.pending = [];
    this.pendingRecords = 0;
    if (group.length === 0) return;

    let written: WrittenAppend[];
    try {
      written = this.writeGroup(group);
    } catch (error) {
      if (!isIndexCorrupt(error)) return this.refuse(group, error);
      // The write was undone; with the index rebuilt from the log the group goes in again.
      try {
        this.rebuildIndex(error);
        written = this.writeGroup(group);
      } catch (again) {
        return this.refuse(group, again);
      }
    }
    if (this.full) {
      this.full = false;
      this.warn(`${this.dir}: appends resumed; the disk has room again`);
    }
    if (this.options.fsync === "always") {
      for (const w of written) this.awaitingFlush.push(w);
      this.startGroupFlush();
    } else {
      for (const w of written) w.resolve(w.result);
      this.notify(this.end);
    }
  }

  /** Answers every append of a group that could not be written with why. */
  private refuse(group: PendingAppend[], error: unknown): void {
    const failure = storageFailure(error, `append to ${this.dir}`);
    // Every refused produce is answered with the reason; the log says it once, not per request.
    if (failure.code === "STORAGE_FULL" && !this.full) {
      this.full = true;
      this.warn(`${this.dir}: the disk is full; appends are refused (${failure.code}) until space is freed`);
    }
    for (const append of group) append.reject(failure);
  }

  /**
   * Writes a group and indexes it, or throws having left files and index as they were.
   * Returns the appends written, with their offsets, not yet answered.
   */
  private writeGroup(group: PendingAppend[]): WrittenAppend[] {
    // Checked before every write rather than trusted: see Segment.tampered.
    const problem = this.segments[this.segments.length - 1].tampered();
    if (problem !== null)
      throw new StreamNestError(
        "STORAGE_ERROR",
        `${problem}; appends to this partition are refused until the broker is restarted, which recovers it from what is left on disk`,
      );
    const written: WrittenAppend[] = [];
    const entries: IndexEntry[] = [];
    let total = 0;
    for (const append of group) for (const r of append.records) total += r.frameBytes;
    const buf = new Uint8Array(total);
    const view = viewOf(buf);

    // Lay the records out over the active segment and any rolled after it.
    const chunks: { segment: Segment | null; base: number; from: number; to: number }[] = [];
    let active = this.segments[this.segments.length - 1];
    let segmentSize = active.size;
    let chunk = { segment: active as Segment | null, base: active.baseOffset, from: 0, to: 0 };
    chunks.push(chunk);
    let offset = this.end;
    let bufPos = 0;
    for (const append of group) {
      const baseOffset = offset;
      // appendAt checked its offset against the end it would be written at; only a bug
      // could break that, and a record at the wrong offset must never reach the file.
      if (append.at !== null && append.at !== offset) {
        throw new StreamNestError("STORAGE_ERROR", `append at offset ${append.at} of ${this.dir} would land at ${offset}`);
      }
      for (const r of append.records) {
        if (segmentSize > 0 && segmentSize + r.frameBytes > this.options.segmentBytes) {
          chunk = { segment: null, base: offset, from: bufPos, to: bufPos };
          chunks.push(chunk);
          segmentSize = 0;
        }
        entries.push({ offset, segment: chunk.base, position: segmentSize, length: r.frameBytes, timestamp: r.record.timestamp });
        bufPos = encodeFrame(r, offset, buf, bufPos, view);
        chunk.to = bufPos;
        segmentSize += r.frameBytes;
        offset++;
      }
      written.push({ result: { baseOffset, lastOffset: offset - 1 }, resolve: append.resolve, reject: append.reject });
    }

    const sizesBefore = new Map<Segment, number>();
    const created: Segment[] = [];
    try {
      for (const c of chunks) {
        if (c.segment === null) {
          c.segment = Segment.open(this.dir, c.base);
          created.push(c.segment);
          // Only a failed append whose undo could not delete its file leaves one here, and
          // nobody was acknowledged for its frames: reads walk a segment from its start.
          if (c.segment.size > 0) c.segment.truncate(0);
        }
        sizesBefore.set(c.segment, c.segment.size);
        if (c.to > c.from) c.segment.append(buf.subarray(c.from, c.to));
      }
      this.index.add(entries);
    } catch (error) {
      this.undoWrite(sizesBefore, created);
      throw error;
    }
    for (const segment of created) {
      this.segments.push(segment);
    }
    this.end = offset;
    if (this.hw.mode === "log-end") this.hw.advance(offset);
    return written;
  }

  /**
   * Replaces an index sqlite found damaged with one rebuilt from the segments, which are
   * the truth: a rare, full scan of the log instead of failing every call until a restart.
   */
  private rebuildIndex(cause: unknown): void {
    const path = join(this.dir, "index.sqlite");
    this.warn(`${path} is corrupt (${describe(cause)}); rebuilding it from the log`);
    this.index.close();
    this.index = replaceOffsetIndex(path);
    const recovered = recoverLog(this.dir, this.index, this.warn, this.segments);
    this.segments = recovered.segments;
    this.end = recovered.endOffset;
    this.newestTimestamps.clear();
    // The segments were intact when the index broke, so the end should not move; if a
    // scan found less, nothing past it may stay committed or keep an epoch.
    this.hw.lowerTo(this.end);
    this.epochs.truncateFromEnd(this.end + 1);
  }

  /** Leaves the files as they were before a failed group, so no half-written frame stays. */
  private undoWrite(sizesBefore: Map<Segment, number>, created: Segment[]): void {
    for (const [segment, size] of sizesBefore) {
      if (segment.size === size) continue;
      try {
        segment.truncate(size);
      } catch (error) {
        // Reads walk a segment's frames up to its size, so the unacknowledged bytes must
        // not count even if the file keeps them; the next append overwrites them.
        segment.size = size;
        this.warn(`${this.dir}: could not undo a failed append: ${describe(error)}`);
      }
    }
    for (const segment of created) {
      try {
        segment.delete();
      } catch (error) {
        this.warn(`${this.dir}: could not undo a failed append: ${describe(error)}`);
      }
    }
  }

  /** Group commit: one flush serves every append written before it started. */
  private startGroupFlush(): void {
    if (this.flushInFlight !== null || this.awaitingFlush.length === 0) return;
    const served = this.awaitingFlush;
    this.awaitingFlush = [];
    // Marked done before anyone is answered: an answered log with nothing else pending
    // is idle at once (closeIfIdle), not one turn later.
    this.flushInFlight = this.flushDirty().then(
      () => {
        this.flushInFlight = null;
        for (const w of served) w.resolve(w.result);
        // Only what this flush covered is durable; later groups are still waiting.
        this.notify(served[served.length - 1].result.lastOffset + 1);
        this.startGroupFlush();
      },
      (error: unknown) => {
        this.flushInFlight = null;
        // The bytes may or may not have reached the device: the appends are not acknowledged.
        const failure = storageFailure(error, `flush of ${this.dir}`);
        for (const w of served) w.reject(failure);
        this.startGroupFlush();
      },
    );
  }

  private notify(written: number): void {
    // A truncation may have come between the write and the flush that announces it.
    const endOffset = Math.min(written, this.end);
    for (const listener of this.listeners) {
      try {
        listener(endOffset);
      } catch (error) {
        this.warn(`${this.dir}: append listener failed: ${describe(error)}`);
      }
    }
    if (this.hw.mode === "log-end") this.notifyHighWatermark(endOffset);
  }

  private notifyHighWatermark(value: number = this.hw.value): void {
    for (const listener of this.hwListeners) {
      try {
        listener(Math.min(value, this.hw.value));
      } catch (error) {
        this.warn(`${this.dir}: high-watermark listener failed: ${describe(error)}`);
      }
    }
  }
}

/** Closes the log, then removes its folder (topic deletion). */
export async function deletePartitionLog(log: PartitionLog): Promise<void> {
  await log.close();
  rmSync(log.dir, { recursive: true, force: true });
}

/**
 * Removes a folder this open just made, or leaves it: with no file descriptor left (the
 * likeliest reason the open failed) the removal fails too, and the open's own error is
 * the one to report.
 */
function removeQuietly(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // See above.
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Opens the index and recovers the log against it; a damaged index is rebuilt, once. A
 * truncation a crash interrupted is finished first (truncation.ts), so recovery reconciles
 * the files as the truncation left them.
 */
function openAndRecover(
  dir: string,
  warn: (message: string) => void,
): { index: OffsetIndex; recovered: RecoveredLog; intent: TruncationIntent | null } {
  const path = join(dir, "index.sqlite");
  let index = openOffsetIndex(path, warn, () => segmentsHoldData(dir));
  let damage: unknown;
  try {
    const intent = redoInterruptedTruncation(dir, index, warn);
    return { index, recovered: recoverLog(dir, index, warn), intent };
  } catch (error) {
    index.close();
    if (!isIndexCorrupt(error)) throw error;
    damage = error;
  }
  // sqlite reads the pages of a file whose header is intact only when a query needs them.
  warn(`${path} is corrupt (${describe(damage)}); rebuilding it from the log`);
  index = replaceOffsetIndex(path);
  try {
    const intent = redoInterruptedTruncation(dir, index, () => {});
    return { index, recovered: recoverLog(dir, index, warn), intent };
  } catch (error) {
    index.close();
    throw error;
  }
}

/** Temporary files of checkpoint writes a crash cut short: never renamed, so never read. */
function removeCheckpointTemps(dir: string): void {
  for (const name of readdirSync(dir)) if (isCheckpointTemp(name)) rmSync(join(dir, name), { force: true });
}

function segmentsHoldData(dir: string): boolean {
  return listSegmentBases(dir).some((base) => Bun.file(join(dir, segmentFileName(base))).size > 0);
}
