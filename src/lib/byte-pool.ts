import { unfilledBytes } from "./fast-bytes.ts";

/**
 * Large byte buffers handed out again once their user gives them back: a Kafka Produce
 * request's frame (about a megabyte from librdkafka) and a Fetch answer, each needed only
 * until it has been handled or written.
 *
 * Why: memory the process has not touched yet costs a page fault per 4 KiB on first
 * write, and a freed megabyte is often handed back to the system before the next request
 * needs one. Measured on the broker under kcat's 1,000,000 × 100 B produce: 82,000 minor
 * faults (a fresh request frame, a fresh frame batch, a fresh socket chunk per megabyte)
 * and 43% of its CPU in the kernel; copying a request into a fresh buffer took 14% of
 * the profile against 0.08 ms per MiB into a buffer used before.
 *
 * Only a buffer this pool made and has out is taken back (give of anything else, or of
 * one already given, does nothing), so a caller that gives every answer it writes cannot
 * poison the pool with a buffer it does not own. A caller gives a buffer back only once
 * nothing it made holds a view of it: the bytes are overwritten by the next taker.
 */
export class BytePool {
  private readonly free: ArrayBuffer[] = [];
  private readonly out = new WeakSet<ArrayBuffer>();
  private keptBytes = 0;

  constructor(
    /** Smaller requests get memory of their own (unfilledBytes), never pooled. */
    readonly minBytes: number,
    /** Free buffers kept, in bytes; one given back beyond this is left to the collector. */
    readonly maxKeptBytes: number,
  ) {}

  /** Bytes held by free buffers. */
  get freeBytes(): number {
    return this.keptBytes;
  }

  /** `length` bytes, not zeroed: a view of the smallest free buffer that holds them, or of a new one. */
  take(length: number): Uint8Array {
    if (length < this.minBytes) return unfilledBytes(length);
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const size = this.free[i].byteLength;
      if (size >= length && (best === -1 || size < this.free[best].byteLength)) best = i;
    }
    let buffer: ArrayBuffer;
    if (best === -1) {
      // A power of two: requests of about the same size fit the same buffer again.
      buffer = unfilledBytes(2 ** Math.ceil(Math.log2(length))).buffer as ArrayBuffer;
    } else {
      buffer = this.free[best];
      this.free[best] = this.free[this.free.length - 1];
      this.free.pop();
      this.keptBytes -= buffer.byteLength;
    }
    this.out.add(buffer);
    return new Uint8Array(buffer, 0, length);
  }

  /** Takes back the buffer under `bytes` if this pool has it out; does nothing otherwise. */
  give(bytes: Uint8Array): void {
    const buffer = bytes.buffer as ArrayBuffer;
    if (!this.out.has(buffer)) return;
    this.out.delete(buffer);
    if (this.keptBytes + buffer.byteLength > this.maxKeptBytes) return;
    this.free.push(buffer);
    this.keptBytes += buffer.byteLength;
  }
}
