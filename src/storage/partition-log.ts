/**
 * The log of one partition: a folder of segment files plus the sqlite offset index.
 *
 * Appends arriving in one turn of the event loop are coalesced into one write per
 * segment and one index transaction (group commit); with fsync "always" one flush to the
 * device serves every append waiting on it. An append resolves only after its bytes were
 * handed to the operating system, so kill -9 of the process never loses an acknowledged
 * record; power loss is covered to the degree the fsync mode promises.
 */
import { readdirSync, rmSync } from "node:fs";
import { join, resolve as resolvePath } from "node:path";
import { StreamNestError } from "../lib/errors.ts";
import { syncDir } from "./checkpoint-file.ts";
import { type CheckedFrames, checkChunk, chunkOfFrames, EMPTY_CHUNK, type FrameChunk } from "./frame-chunk.ts";
import { type PendingAppend, releaseBatches, type WrittenAppend, writeGroup } from "./group-write.ts";
import type { FrameBatch } from "./frame-batch.ts";
import { FrameSink, type StoredFrames } from "./frame-read.ts";
import { HIGH_WATERMARK_FILE, HighWatermark } from "./high-watermark.ts";
import { type EpochEndOffset, type EpochEntry, LEADER_EPOCH_FILE, LeaderEpochCache } from "./leader-epoch-cache.ts";
import { makeFolder, openAndRecover, openNew, removeCheckpointTemps, removeQuietly } from "./log-open.ts";
import { type ReadSource, readRangeInto, segmentPosition } from "./log-read.ts";
import { type IndexStore, replaceOffsetIndex } from "./offset-index.ts";
import { WriteBehindIndex } from "./write-behind-index.ts";
import { type SizedRecord, sizeRecord } from "./record-codec.ts";
import { type RecoveredLog, recoverLog } from "./recovery.ts";
import { type RetentionLimits, segmentsToDelete } from "./retention.ts";
import { sealRolled, Segment } from "./segment.ts";
import { type ReadSink, RecordSink } from "./segment-reader.ts";
import { scratchFor } from "./read-scratch.ts";
import { TailCache } from "./tail-cache.ts";
import { isIndexCorrupt, storageFailure } from "./storage-failure.ts";
import { clearTruncationIntent, locateTruncation, type TruncationIntent, writeTruncationIntent } from "./truncation.ts";
import {
  type AppendResult,
  DEFAULT_LOG_OPTIONS,
  type HighWatermarkMode,
  type LogOptions,
  type ReadOptions,
  type RecordInput,
  type StoredRecord,
} from "./types.ts";
import { validateLogOptions, validateOffset, validateReadBudget, validateRecord, validateUpTo } from "./validate.ts";

/** Folders open in this process: two logs over one folder would overwrite each other. */
const openDirs = new Set<string>();

export class PartitionLog {
  readonly dir: string;
  private readonly options: LogOptions;
  private readonly warn: (message: string) => void;
  /** Replaced by a rebuilt one when sqlite finds the file damaged while the log runs. */
  private index: IndexStore;
  private segments: Segment[];
  /** Newest timestamp per rolled (immutable) segment, for age retention. */
  private readonly newestTimestamps = new Map<number, number | null>();
  private end: number;
  private readonly hw: HighWatermark;
  private readonly epochs: LeaderEpochCache;
  /** The newest frames, for reads near the end (see tail-cache.ts); it always ends at `end`. */
  private readonly tail = new TailCache();
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
    let opened: { index: IndexStore; recovered: RecoveredLog; intent: TruncationIntent | null } | undefined;
    try {
      created = makeFolder(dir);
      const isNew = created !== undefined;
      // One listing answers which files an open must read: a batch over thousands of
      // partitions reopens thousands of logs closed to make room (issue 14), and a read
      // of each checkpoint that is not there was a third of that. The checkpoints are
      // not touched by the recovery in between.
      const names: ReadonlySet<string> = isNew ? new Set() : new Set(readdirSync(dir));
      opened = isNew ? openNew(dir, warn, options.deferIndex === true) : openAndRecover(dir, warn, options.deferIndex === true, names);
      this.index = new WriteBehindIndex(opened.index, warn, options.indexBatchEntries);
      this.segments = opened.recovered.segments;
      this.sealRolled();
      this.end = opened.recovered.endOffset;
      this.epochs = names.has(LEADER_EPOCH_FILE) ? LeaderEpochCache.load(dir) : LeaderEpochCache.empty(dir);
      // Epochs starting past the end began with records a crash lost; those from an
      // interrupted truncation's offset on went with the truncated records.
      const intent = opened.intent;
      const truncatedFrom = intent === null ? Number.MAX_SAFE_INTEGER : intent.fully ? Number.MIN_SAFE_INTEGER : intent.offset;
      this.epochs.truncateFromEnd(Math.min(truncatedFrom, this.end + 1));
      // Retention removes segments before it rewrites the epochs: finish that too.
      this.epochs.truncateFromStart(this.startOffset);
      this.hw = new HighWatermark(dir, options.highWatermark, options.highWatermarkCheckpointMs, this.startOffset, this.end, warn, !names.has(HIGH_WATERMARK_FILE));
      // Last: until the epochs and the high watermark are down, the next open must redo it.
      if (opened.intent !== null) clearTruncationIntent(dir);
      removeCheckpointTemps(dir, names);
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

  /** The offsets read from memory rather than the files: [start, end), or null when none. */
  get cachedRange(): { start: number; end: number } | null {
    const start = this.tail.startOffset;
    return start === null ? null : { start, end: this.tail.endOffset ?? start };
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

  /**
   * Appends records already laid out as frames (frame-batch.ts): the same as append of
   * the same records, byte for byte on disk, without a record object per record. Joins
   * the turn's coalesced write like any append.
   */
  appendFrames(batch: FrameBatch): Promise<AppendResult> {
    try {
      this.assertWritable();
      if (batch.count === 0) throw new StreamNestError("INVALID_REQUEST", "an append needs at least one record");
      if (batch.maxFrameBytes > this.options.maxRecordBytes) {
        throw new StreamNestError(
          "MESSAGE_TOO_LARGE",
          `a record takes ${batch.maxFrameBytes} bytes encoded; the limit is ${this.options.maxRecordBytes}`,
        );
      }
      return this.enqueue(batch, null);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * appendAt for frames already encoded (a follower's fetch, frame-chunk.ts): every
   * frame is checked (CRC, offset, size) and the chunk is written as it came, in one
   * write, without decoding a record. `crcsChecked`: see checkChunk. `writeNow`: written
   * in this call (with anything pending) rather than in the next turn; a follower's log
   * has one writer, its fetch loop, so a turn's wait would gather nothing and only delay
   * the next fetch, which tells the leader the records are here (acks=all waits on it).
   */
  appendFramesAt(chunk: FrameChunk, leaderEpoch?: number, options: { crcsChecked?: boolean; writeNow?: boolean } = {}): Promise<AppendResult> {
    try {
      this.assertWritable();
      validateOffset(chunk.firstOffset, "an append offset");
      const end = this.end + this.pendingRecords;
      if (chunk.firstOffset !== end) {
        throw new StreamNestError(
          "OFFSET_OUT_OF_RANGE",
          `append at offset ${chunk.firstOffset} refused: the log end offset is ${end}, and records are only appended there`,
          { logEndOffset: end },
        );
      }
      const frames = checkChunk(chunk, this.options.maxRecordBytes, options.crcsChecked === true);
      if (leaderEpoch !== undefined) this.assignEpoch(leaderEpoch, chunk.firstOffset);
      const written = this.enqueue(frames, chunk.firstOffset);
      if (options.writeNow === true) this.writePending();
      return written;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The frames from `offset` up to the log end (a follower's fetch), within `maxBytes`
   * (at least one frame), as read() would return them: from memory when the tail cache
   * holds them, else the frames as read (and checked) from the files.
   */
  readFrameChunk(offset: number, maxBytes: number): FrameChunk {
    this.assertOpen();
    validateOffset(offset, "an offset");
    if (offset === this.end) return EMPTY_CHUNK;
    // read() refuses an offset out of range, and its budget rules apply.
    return this.tail.readFrameChunk(offset, this.end, maxBytes) ?? chunkOfFrames(this.readFrames(offset, Infinity, maxBytes, { upTo: "log-end" }));
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

  private enqueue(records: SizedRecord[] | FrameBatch | CheckedFrames, at: number | null): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.push({ records, at, resolve, reject });
      this.pendingRecords += Array.isArray(records) ? records.length : "count" in records ? records.count : records.lengths.length;
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
    return this.readInto(offset, maxRecords, maxBytes, options, () => new RecordSink(scratchFor(maxRecords))).out;
  }

  /**
   * read, but the records come as their checked frames (frame-read.ts), for an adapter
   * that re-encodes them into its own format without a record object per record.
   * With `memory`, what is read from the files lands in buffers it gives (the caller's to
   * reuse once done with the frames); frames from the tail cache stay the log's.
   */
  readFrames(offset: number, maxRecords: number, maxBytes: number, options: ReadOptions = {}, memory?: (length: number) => Uint8Array): StoredFrames {
    return this.readInto(offset, maxRecords, maxBytes, options, () => new FrameSink(offset, memory)).frames;
  }

  private readInto<S extends ReadSink>(offset: number, maxRecords: number, maxBytes: number, options: ReadOptions, sink: () => S): S {
    this.assertOpen();
    validateReadBudget(offset, maxRecords, maxBytes);
    const start = this.startOffset;
    if (offset < start || offset > this.end) {
      throw new StreamNestError(
        "OFFSET_OUT_OF_RANGE",
        `offset ${offset} is outside the partition's range [${start}, ${this.end}]`,
        { startOffset: start, endOffset: this.end },
      );
    }
    const upTo = validateUpTo(options.upTo);
    const bound = upTo === "log-end" ? this.end : this.hw.value;
    const cached = sink();
    if (offset >= bound || this.tail.readInto(offset, bound, maxRecords, maxBytes, cached)) return cached;
    try {
      const out = sink();
      readRangeInto(this.readSource(), offset, bound, maxRecords, maxBytes, out);
      return out;
    } catch (error) {
      if (!isIndexCorrupt(error)) throw storageFailure(error, `reading ${this.dir} at offset ${offset}`);
      try {
        this.rebuildIndex(error);
        const out = sink();
        readRangeInto(this.readSource(), offset, upTo === "log-end" ? this.end : this.hw.value, maxRecords, maxBytes, out);
        return out;
      } catch (again) {
        throw storageFailure(again, `reading ${this.dir} at offset ${offset}`);
      }
    }
  }

  private readSource(): ReadSource {
    return { dir: this.dir, segments: this.segments, index: this.index, warn: this.warn };
  }

  /** Calls `listener` with the new end offset after each coalesced append is durable per the fsync mode. */
  onAppend(listener: (endOffset: number) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Deletes whole old segments past retention (age, bytes); never the active one. The
   * limits are the log's options unless the caller passes a topic's own.
   */
  enforceRetention(now: number = Date.now(), limits: RetentionLimits = this.options): number {
    this.assertOpen();
    const { retentionMs, retentionBytes } = limits;
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
    this.tail.dropBelow(this.startOffset);
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
   * the LEO itself removes no record, only epochs begun there.
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
    if (offset === this.end) {
      // No record goes, but an epoch begun at the end with no record yet does (as Kafka's
      // truncateTo always cuts the epoch cache): a follower must not keep a leader epoch
      // its log holds nothing of, or it could never append the new leader's older epoch.
      try {
        this.epochs.truncateFromEnd(offset);
      } catch (error) {
        throw storageFailure(error, `truncating the leader epochs of ${this.dir} at offset ${offset}`);
      }
      return;
    }
    const intent = locateTruncation(this.dir, this.segments, this.index, offset);
    const holder = segmentPosition(this.segments, intent.segment);
    try {
      writeTruncationIntent(this.dir, intent);
    } catch (error) {
      // Nothing was changed: the log keeps its end and stays usable.
      throw storageFailure(error, `truncating ${this.dir} to offset ${offset}`);
    }
    // From here on the truncation is decided: reads stop at the new end at once.
    this.end = offset;
    this.tail.truncateFrom(offset);
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

  /**
   * Removes every record and starts the log over, empty, at `offset` (Kafka's
   * truncateFullyAndStartAt: a follower whose log is behind the leader's log start, or a
   * new replica joining a leader that no longer has offset 0). Every segment is deleted
   * and one empty segment made at `offset`; the index and the leader epochs are emptied;
   * the high watermark becomes `offset`. Any offset is allowed. Crash-safe like truncateTo
   * (the same intent file: a kill -9 leaves the old log or the new empty one).
   */
  truncateFullyAndStartAt(offset: number): void {
    this.assertWritable();
    validateOffset(offset, "a new log start offset");
    if (this.pending.length > 0) this.writePending();
    try {
      writeTruncationIntent(this.dir, { offset, segment: offset, position: 0, fully: true });
    } catch (error) {
      throw storageFailure(error, `emptying ${this.dir} to start at offset ${offset}`);
    }
    const before = this.hw.value;
    this.end = offset;
    this.tail.clear();
    try {
      this.index.deleteFrom(Number.MIN_SAFE_INTEGER);
      const kept = this.segments.find((s) => s.baseOffset === offset);
      for (const doomed of [...this.segments].reverse()) if (doomed !== kept) doomed.delete();
      this.newestTimestamps.clear();
      const segment = kept ?? Segment.open(this.dir, offset);
      this.segments = [segment];
      if (segment.size > 0) segment.truncate(0);
      segment.dirty = true;
      segment.flushSync();
      syncDir(this.dir);
      this.epochs.truncateFromEnd(Number.MIN_SAFE_INTEGER);
      this.hw.lowerTo(offset);
      this.hw.advance(offset);
      clearTruncationIntent(this.dir);
    } catch (error) {
      this.hw.lowerTo(offset);
      this.broken = storageFailure(
        error,
        `emptying ${this.dir} to start at offset ${offset} (appends are refused until a restart finishes it)`,
      );
      throw this.broken;
    }
    if (this.hw.value > before) this.notifyHighWatermark();
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
    this.tail.clear();
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
      written = this.writeGroupNow(group);
    } catch (error) {
      if (!isIndexCorrupt(error)) return this.refuse(group, error);
      // The write was undone; with the index rebuilt from the log the group goes in again.
      try {
        this.rebuildIndex(error);
        written = this.writeGroupNow(group);
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
    // A write refused (a file cut or deleted under the log, a full disk): from here on
    // reads go to the files, which say what is really left.
    this.tail.clear();
    // Every refused produce is answered with the reason; the log says it once, not per request.
    if (failure.code === "STORAGE_FULL" && !this.full) {
      this.full = true;
      this.warn(`${this.dir}: the disk is full; appends are refused (${failure.code}) until space is freed`);
    }
    for (const append of group) append.reject(failure);
    // An epoch assigned for records of this group (appendAt with a newer epoch) begins
    // past the end now: gone, so that the caller's retry can assign it at the real end.
    if (this.epochs.all.some((e) => e.startOffset > this.end)) {
      try {
        this.epochs.truncateFromEnd(this.end + 1);
      } catch (again) {
        // A restart drops it as well (entries past the end are dropped on open).
        this.warn(`${this.dir}: could not drop a leader epoch past the end: ${describe(again)}`);
      }
    }
  }

  /** Lets reads map the segments that rolled (Segment.seal), unless the options turn mapping off. */
  private sealRolled(): void {
    if (this.options.mappedReads !== false) sealRolled(this.segments);
  }

  private writeGroupNow(group: PendingAppend[]): WrittenAppend[] {
    const { written, created, end, frames } = writeGroup(
      { dir: this.dir, segments: this.segments, end: this.end, index: this.index, segmentBytes: this.options.segmentBytes, warn: this.warn },
      group,
    );
    // A write that rolled a segment starts the cache over after it: each chunk lies in one file.
    const active = this.segments[this.segments.length - 1];
    if (created.length === 0) this.tail.append(this.end, frames, active, active.size - frames.byteLength);
    else this.tail.clear();
    releaseBatches(group, (frames) => this.tail.holdsNewest(frames));
    for (const segment of created) this.segments.push(segment);
    if (created.length > 0) this.sealRolled();
    this.end = end;
    if (this.hw.mode === "log-end") this.hw.advance(end);
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
    const rebuilt = replaceOffsetIndex(path);
    this.index = new WriteBehindIndex(rebuilt, this.warn, this.options.indexBatchEntries);
    this.tail.clear();
    const recovered = recoverLog(this.dir, rebuilt, this.warn, this.segments);
    this.segments = recovered.segments;
    this.sealRolled();
    this.end = recovered.endOffset;
    this.newestTimestamps.clear();
    // The segments were intact when the index broke, so the end should not move; if a
    // scan found less, nothing past it may stay committed or keep an epoch.
    this.hw.lowerTo(this.end);
    this.epochs.truncateFromEnd(this.end + 1);
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

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
