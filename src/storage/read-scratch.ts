/**
 * The buffer that reads of a few records reuse, one per thread. A read at a random offset
 * is one pread of one frame; into a fresh buffer it cost an allocation and, on Bun, the
 * ArrayBuffer and DataView made for it (~1.2 of 7.5 µs of a single-record read in
 * process, measured over a 6M-record log). Read here instead, each record's fields are
 * copied out as it is decoded (a copy of a 100-byte value is cheaper than the buffer),
 * so nothing returned points into this memory and the next read may overwrite it.
 * Reads are synchronous, so one read is done with the buffer before the next begins.
 */
import { CORE_LIMITS } from "../config/core.ts";
import { unfilledBytes } from "../lib/fast-bytes.ts";

export class ReadScratch {
  readonly bytes: Uint8Array;
  /** Covers all of `bytes`: a frame at `at` of memory(n) is at `at` here too. */
  readonly view: DataView;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Where a pread of `length` bytes goes: the start of this buffer, or a fresh one if it is too small. */
  readonly memory = (length: number): Uint8Array => (length <= this.bytes.length ? this.bytes.subarray(0, length) : unfilledBytes(length));

  /** Whether `buf` is this buffer's memory (its fields must be copied out). */
  holds(buf: Uint8Array): boolean {
    return buf.buffer === this.bytes.buffer;
  }
}

/** This thread's. */
export const READ_SCRATCH = new ReadScratch(CORE_LIMITS.readScratchBytes.value);

/**
 * The scratch a read of up to `maxRecords` records goes through: this thread's for a few,
 * none for more (views into a buffer of the read's own; a copy per field would cost more).
 */
export function scratchFor(maxRecords: number): ReadScratch | undefined {
  return maxRecords <= CORE_LIMITS.readScratchRecords.value ? READ_SCRATCH : undefined;
}
