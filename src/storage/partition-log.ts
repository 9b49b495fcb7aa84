/**
 * The log of one partition: a folder of segment files plus the sqlite offset index.
 *
 * Appends arriving in one turn of the event loop are coalesced into one write per
 * segment and one index transaction (group commit); with fsync "always" one flush to the
 * device serves every append waiting on it. An append resolves only after its bytes were
 * handed to the operating system, so kill -9 of the process never loses an acknowledged
 * record; power loss is covered to the degree the fsync mode promises.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve as resolvePath } from "node:path";
import { StreamNestError } from "../lib/errors.ts";
import { type IndexEntry, type OffsetIndex, openOffsetIndex, replaceOffsetIndex } from "./offset-index.ts";
import { encodeFrame, type SizedRecord, sizeRecord, viewOf } from "./record-codec.ts";
import { type RecoveredLog, recoverLog } from "./recovery.ts";
import { segmentsToDelete } from "./retention.ts";
import { listSegmentBases, Segment, segmentFileName } from "./segment.ts";
import { isIndexCorrupt, storageFailure } from "./storage-failure.ts";
import { type ReadProgress, walkSegment } from "./segment-reader.ts";
import { type AppendResult, DEFAULT_LOG_OPTIONS, type LogOptions, type RecordInput, type StoredRecord } from "./types.ts";
import { validateLogOptions, validateRecord } from "./validate.ts";

interface PendingAppend {
  records: SizedRecord[];
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
  private pending: PendingAppend[] = [];
  private writeScheduled = false;
  /** Written appends waiting for the next device flush (fsync "always"). */
  private awaitingFlush: WrittenAppend[] = [];
  private flushInFlight: Promise<void> | null = null;
  private readonly listeners = new Set<(endOffset: number) => void>();
  private readonly intervalTimer: ReturnType<typeof setInterval> | null = null;
  private closing: Promise<void> | null = null;
  /** The last append failed for want of space: said once in the log, and once when appends resume. */
  private full = false;

  private constructor(dir: string, options: LogOptions, warn: (message: string) => void) {
    this.dir = dir;
    this.options = options;
    this.warn = warn;
    let created: string | undefined;
    try {
      created = mkdirSync(dir, { recursive: true });
      const opened = openAndRecover(dir, warn);
      this.index = opened.index;
      this.segments = opened.recovered.segments;
      this.end = opened.recovered.endOffset;
    } catch (error) {
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

  /** The next offset to assign (Kafka's log end offset). */
  get endOffset(): number {
    return this.end;
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
      this.assertOpen();
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
      return new Promise<AppendResult>((resolve, reject) => {
        this.pending.push({ records: sized, resolve, reject });
        if (!this.writeScheduled) {
          this.writeScheduled = true;
          // setImmediate, not a microtask: appends from every I/O callback of this loop
          // turn (e.g. several HTTP requests) join the same write.
          setImmediate(() => this.writePending());
        }
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Records from `offset` on: at most maxRecords, and stopping before maxBytes (of
   * encoded frames) would be exceeded, but always at least one record when there is one,
   * as Kafka's fetch does since KIP-74 so a large record never blocks a consumer.
   */
  read(offset: number, maxRecords: number, maxBytes: number): StoredRecord[] {
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
    if (offset === this.end) return [];
    try {
      return this.readFrom(offset, maxRecords, maxBytes);
    } catch (error) {
      if (!isIndexCorrupt(error)) throw storageFailure(error, `reading ${this.dir} at offset ${offset}`);
      try {
        this.rebuildIndex(error);
        return this.readFrom(offset, maxRecords, maxBytes);
      } catch (again) {
        throw storageFailure(again, `reading ${this.dir} at offset ${offset}`);
      }
    }
  }

  private readFrom(offset: number, maxRecords: number, maxBytes: number): StoredRecord[] {
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
      const stopOffset = next === undefined ? this.end : Math.min(this.end, next.baseOffset);
      const stop = walkSegment(segment, position, indexedLength, stopOffset, budget, progress);
      if (stop.kind === "bad") return this.stopRead(progress, segment.baseOffset, stop.position, stop.reason);
      if (progress.out.length >= maxRecords || progress.offset >= this.end) return progress.out;
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
    const count = segmentsToDelete(candidates, { retentionMs, retentionBytes }, now);
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
    return count;
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
    this.listeners.clear();
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

  private flushDirty(): Promise<void> {
    const dirty = this.segments.filter((s) => s.dirty);
    return dirty.length === 0 ? Promise.resolve() : Promise.all(dirty.map((s) => s.flush())).then(() => undefined);
  }

  /** One coalesced group: one write per segment touched, one index transaction. */
  private writePending(): void {
    this.writeScheduled = false;
    const group = this.pending;
    this.pending = [];
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

  private notify(endOffset: number): void {
    for (const listener of this.listeners) {
      try {
        listener(endOffset);
      } catch (error) {
        this.warn(`${this.dir}: append listener failed: ${describe(error)}`);
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

/** Opens the index and recovers the log against it; a damaged index is rebuilt, once. */
function openAndRecover(dir: string, warn: (message: string) => void): { index: OffsetIndex; recovered: RecoveredLog } {
  const path = join(dir, "index.sqlite");
  let index = openOffsetIndex(path, warn, () => segmentsHoldData(dir));
  let damage: unknown;
  try {
    return { index, recovered: recoverLog(dir, index, warn) };
  } catch (error) {
    index.close();
    if (!isIndexCorrupt(error)) throw error;
    damage = error;
  }
  // sqlite reads the pages of a file whose header is intact only when a query needs them.
  warn(`${path} is corrupt (${describe(damage)}); rebuilding it from the log`);
  index = replaceOffsetIndex(path);
  try {
    return { index, recovered: recoverLog(dir, index, warn) };
  } catch (error) {
    index.close();
    throw error;
  }
}

function segmentsHoldData(dir: string): boolean {
  return listSegmentBases(dir).some((base) => Bun.file(join(dir, segmentFileName(base))).size > 0);
}
