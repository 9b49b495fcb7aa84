/**
 * The newest records of a partition log, kept in memory as the frames just written, so
 * that a consumer near the end (the common case: a tail, a catching-up reader) is
 * answered without an index lookup and a pread. Each coalesced write hands its buffer
 * over as it is; nothing is copied.
 *
 * The cache always ends at the log end offset and is contiguous: it covers
 * [startOffset, log end), or nothing. Whatever moves the end other than an append
 * (truncation, a rebuilt index) must tell it, and retention must drop what it deleted.
 * Memory is bounded twice: bytes per partition, and bytes of every cache of the
 * process together (oldest frames of any partition go first), so memory stays flat
 * however many partitions are written.
 *
 * Frames are checked (CRC) as they are decoded, as a read from the file is: a reader
 * never gets a record whose CRC fails, whichever way it was read. And a write is served
 * from memory only once the file was read back and found to hold the same bytes (one
 * pread per write, on its first read): bytes changed on disk before that are reported
 * as the file reader reports them (CORRUPT_RECORD), not hidden by the copy in memory.
 */
import { CORE_LIMITS } from "../config/core.ts";
import type { FrameChunk } from "./frame-chunk.ts";
import { type BudgetItem, MemoryBudget } from "./memory-budget.ts";
import { checkFrame, MIN_FRAME_BYTES, viewOf } from "./record-codec.ts";
import type { Segment } from "./segment.ts";
import { READ_CHUNK_BYTES, type ReadSink, RecordSink } from "./segment-reader.ts";
import type { StoredRecord } from "./types.ts";

/** Bytes counted for a chunk beyond its frames: its objects and position table. */
const CHUNK_OVERHEAD_BYTES = 160;

interface Chunk extends BudgetItem {
  readonly owner: TailCache;
  readonly base: number;
  /** Frames served (a truncation may lower it). */
  count: number;
  readonly buf: Uint8Array;
  readonly view: DataView;
  /** Byte position of each frame, and the end of the last one. */
  readonly starts: Uint32Array;
  readonly bytes: number;
  /** Where the frames lie in the file. */
  readonly segment: Segment;
  readonly position: number;
  /** The file was read back once and held these very bytes. */
  verified: boolean;
  /** Every frame passed its check once, when first shipped whole to a follower (readFrames). */
  shipped: boolean;
}

/** The bytes every tail cache of a process may hold together: the oldest chunk of any partition goes first. */
export class TailCacheBudget extends MemoryBudget<Chunk> {
  constructor(limitBytes: number) {
    super(limitBytes, (oldest) => oldest.owner.dropOldest());
  }
}

/** The budget of the partition logs of this process. */
export const SHARED_TAIL_BUDGET = new TailCacheBudget(CORE_LIMITS.tailCacheBytesTotal.value);

export class TailCache {
  /** Oldest first; each starts where the one before ends, the last ends at the log end. */
  private chunks: Chunk[] = [];
  private bytes = 0;

  constructor(
    readonly limitBytes: number = CORE_LIMITS.tailCacheBytesPerPartition.value,
    private readonly budget: TailCacheBudget = SHARED_TAIL_BUDGET,
  ) {}

  /** First offset held, or null when empty. */
  get startOffset(): number | null {
    return this.chunks.length === 0 ? null : this.chunks[0].base;
  }

  /** The offset after the last one held, or null when empty. */
  get endOffset(): number | null {
    const last = this.chunks[this.chunks.length - 1];
    return last === undefined ? null : last.base + last.count;
  }

  /** Whether the newest chunk held lies in the memory of `frames` (append kept it rather than starting over). */
  holdsNewest(frames: Uint8Array): boolean {
    return this.chunks[this.chunks.length - 1]?.buf.buffer === frames.buffer;
  }

  /** Bytes held, overhead included. */
  get sizeBytes(): number {
    return this.bytes;
  }

  /**
   * The frames of one write: `frames` holds frames back to back from offset `base`,
   * which must be the end of what is held (else the cache starts over from `base`).
   */
  append(base: number, frames: Uint8Array, segment: Segment, position: number): void {
    if (this.chunks.length > 0 && this.endOffset !== base) this.clear();
    const bytes = frames.byteLength + CHUNK_OVERHEAD_BYTES;
    // Too large to keep: the cache starts over after it (it must end at the log end).
    if (bytes > this.limitBytes || bytes > this.budget.limitBytes) return this.clear();
    const view = viewOf(frames);
    const starts = frameStarts(frames, view);
    if (starts === null) return this.clear();
    const chunk: Chunk = { owner: this, base, count: starts.length - 1, buf: frames, view, starts, bytes, segment, position, verified: false, shipped: false, touched: false, slot: -1 };
    this.chunks.push(chunk);
    this.bytes += bytes;
    while (this.bytes > this.limitBytes) this.dropOldest();
    this.budget.add(chunk);
  }

  /** readInto as records; undefined when the caller must read the file. */
  read(offset: number, bound: number, maxRecords: number, maxBytes: number): StoredRecord[] | undefined {
    const sink = new RecordSink();
    return this.readInto(offset, bound, maxRecords, maxBytes, sink) ? sink.out : undefined;
  }

  /**
   * Records from `offset` below `bound` into `sink` (which must be empty), within the
   * budget as PartitionLog.read counts it (frame bytes; the first record even when
   * larger); false when `offset` is not held (or a frame fails its check, whatever the
   * sink took by then): the caller reads the file instead, into a fresh sink.
   */
  readInto(offset: number, bound: number, maxRecords: number, maxBytes: number, sink: ReadSink): boolean {
    const n = this.chunks.length;
    if (n === 0 || offset < this.chunks[0].base) return false;
    // Reads near the end are the point of the cache: search from the newest chunk.
    let i = n - 1;
    while (i >= 0 && this.chunks[i].base > offset) i--;
    if (i < 0 || offset >= this.chunks[i].base + this.chunks[i].count) return false;
    let bytes = 0;
    let next = offset;
    for (; i < n; i++) {
      const chunk = this.chunks[i];
      if (!chunk.verified && !this.verify(chunk)) {
        this.clear();
        return false;
      }
      const last = Math.min(chunk.base + chunk.count, bound);
      for (; next < last; next++) {
        if (sink.count >= maxRecords) return true;
        const at = chunk.starts[next - chunk.base];
        const frameBytes = chunk.starts[next - chunk.base + 1] - at;
        // As the file reader: after the first, a frame that passes the byte budget, or
        // one larger than a read chunk, is left to the next read.
        if (sink.count > 0 && (bytes + frameBytes > maxBytes || frameBytes > READ_CHUNK_BYTES)) return true;
        const check = checkFrame(chunk.buf, at, at + frameBytes, chunk.view);
        if (check.kind !== "ok" || check.offset !== next) {
          // Memory that no longer holds what was written: nothing of it is trusted again.
          this.clear();
          return false;
        }
        sink.take(chunk.buf, at, frameBytes, chunk.view);
        bytes += frameBytes;
      }
      if (next >= bound) return true;
    }
    return true;
  }

  /**
   * The frames from `offset` below `bound` as they lie in memory, within `maxBytes` as
   * read() counts it (the first frame even when larger), or undefined when `offset` is
   * not held: a follower's fetch ships them without decoding. A chunk's frames are
   * checked (CRC, offsets) the first time they are shipped, as read() checks them per
   * read; the follower checks its copy again before writing it (frame-chunk.ts).
   *
   * Unlike read(), this does not first read the file back (verify): a client must learn
   * that the file no longer holds what was written, but a follower is better served by
   * the bytes written, CRC-checked, than by a refusal: its copy is then the good one
   * when this broker's file went bad. The read-back was a pread and a compare of every
   * chunk written, on the leader, for nothing else: 4% of a leader's time in a batch
   * produce with RF=3, one more system call per write with single messages.
   */
  readFrameChunk(offset: number, bound: number, maxBytes: number): FrameChunk | undefined {
    const n = this.chunks.length;
    if (n === 0 || offset < this.chunks[0].base) return undefined;
    let i = n - 1;
    while (i >= 0 && this.chunks[i].base > offset) i--;
    if (i < 0 || offset >= this.chunks[i].base + this.chunks[i].count) return undefined;
    const parts: Uint8Array[] = [];
    let bytes = 0;
    let next = offset;
    for (; i < n && next < bound; i++) {
      const chunk = this.chunks[i];
      if (!chunk.shipped && !framesIntact(chunk)) return this.clearAndMiss();
      chunk.shipped = true;
      const first = next;
      const last = Math.min(chunk.base + chunk.count, bound);
      for (; next < last; next++) {
        const frameBytes = chunk.starts[next - chunk.base + 1] - chunk.starts[next - chunk.base];
        if (next > offset && (bytes + frameBytes > maxBytes || frameBytes > READ_CHUNK_BYTES)) break;
        bytes += frameBytes;
      }
      if (next > first) parts.push(chunk.buf.subarray(chunk.starts[first - chunk.base], chunk.starts[next - chunk.base]));
      if (next < last) break;
    }
    const joined = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    return { bytes: joined, firstOffset: offset, count: next - offset };
  }

  private clearAndMiss(): undefined {
    this.clear();
    return undefined;
  }

  /** Whether the file holds the chunk's bytes where they were written; marks it so. */
  private verify(chunk: Chunk): boolean {
    // Only the frames still served: a truncation may have cut the rest from the file.
    const length = chunk.starts[chunk.count];
    const onDisk = chunk.segment.read(chunk.position, length);
    if (Buffer.compare(onDisk, chunk.buf.subarray(0, length)) !== 0) return false;
    chunk.verified = true;
    return true;
  }

  /** Forgets records at and after `offset` (a truncation of the log's tail). */
  truncateFrom(offset: number): void {
    while (this.chunks.length > 0) {
      const last = this.chunks[this.chunks.length - 1];
      if (last.base >= offset) this.dropNewest();
      else {
        last.count = Math.min(last.count, offset - last.base);
        return;
      }
    }
  }

  /** Forgets chunks wholly below `offset` (segments deleted by retention). */
  dropBelow(offset: number): void {
    while (this.chunks.length > 0 && this.chunks[0].base + this.chunks[0].count <= offset) this.dropOldest();
  }

  /** Forgets the oldest chunk (this cache's bound, or the process's). */
  dropOldest(): void {
    const chunk = this.chunks.shift();
    if (chunk === undefined) return;
    this.bytes -= chunk.bytes;
    this.budget.remove(chunk);
  }

  clear(): void {
    while (this.chunks.length > 0) this.dropNewest();
  }

  private dropNewest(): void {
    const chunk = this.chunks.pop();
    if (chunk === undefined) return;
    this.bytes -= chunk.bytes;
    this.budget.remove(chunk);
  }
}

/** Whether every frame of the chunk still served passes its check and holds its offset. */
function framesIntact(chunk: Chunk): boolean {
  for (let k = 0; k < chunk.count; k++) {
    const check = checkFrame(chunk.buf, chunk.starts[k], chunk.starts[k + 1], chunk.view);
    if (check.kind !== "ok" || check.offset !== chunk.base + k) return false;
  }
  return true;
}

/**
 * Positions of the frames of `frames` by their length fields, or null if they do not
 * tile it. Counted first, then filled in place: a growing array copied by
 * Uint32Array.from cost a single-message produce 4% of its core work (in-process A/B).
 */
function frameStarts(frames: Uint8Array, view: DataView): Uint32Array | null {
  const size = frames.byteLength;
  let count = 0;
  let at = 0;
  while (at < size) {
    if (size - at < MIN_FRAME_BYTES) return null;
    at += view.getUint32(at, true) + 4;
    count++;
  }
  if (at !== size || count === 0) return null;
  const starts = new Uint32Array(count + 1);
  at = 0;
  for (let k = 1; k <= count; k++) starts[k] = at += view.getUint32(at, true) + 4;
  return starts;
}
