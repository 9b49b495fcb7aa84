/**
 * Large byte buffers made and filled the fast way on Bun: what a Kafka Fetch answer, a
 * large Produce request and a segment read move a megabyte at a time.
 */

/** Up to this many bytes a zeroed array is made instead (see unfilledBytes). */
const SMALL_BYTES = 4096;

/**
 * A Uint8Array of `length` bytes that are not zeroed, in memory of its own (never a slice
 * of a shared pool), for a caller that writes every byte it later reads: a read buffer
 * returned only up to what the read filled, a frame or response laid out whole.
 *
 * Why: on Bun 1.x a large `new Uint8Array(n)` filled from a Buffer (a socket's chunk, a
 * pread) cost on average ~10x the copy itself (measured 1.8 ms against 0.1 ms per MiB,
 * the spikes from zeroed allocation and the collector it wakes); that was most of the
 * time of a Kafka Fetch answer and of taking in a large Produce request. A plain
 * Uint8Array view is returned, not the Buffer, so values sliced from it stay Uint8Arrays
 * (a Buffer compares, prints and serialises differently).
 */
export function unfilledBytes(length: number): Uint8Array {
  // A small array is cheaper made zeroed: an ArrayBuffer of its own per call cost more
  // than zeroing (a single record's pread, ~150 bytes: 3.1 µs against 2.2 µs with the read).
  if (length <= SMALL_BYTES) return new Uint8Array(length);
  const buf = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(buf.buffer, buf.byteOffset, length);
}

/**
 * Copies all of `src` into `dst` at `at`. From a Buffer (a socket's chunk, a frame batch)
 * through Buffer.copy: Uint8Array.set with a Buffer source measured 0.13 ms per MiB, and
 * 0.4 ms from a socket's chunk, against 0.06 ms for Buffer.copy (Bun 1.x); between plain
 * Uint8Arrays set is the fast one.
 */
export function copyBytes(src: Uint8Array, dst: Uint8Array, at: number): void {
  // Buffer.copy would copy what fits and say nothing; set refuses, and so does this.
  if (at < 0 || at + src.length > dst.length) throw new RangeError(`${src.length} bytes at ${at} overrun a target of ${dst.length}`);
  if (Buffer.isBuffer(src)) src.copy(dst, at);
  else dst.set(src, at);
}

/**
 * Writes `value` big-endian at `at`, as DataView.setUint32 does, without a DataView: one
 * needs the array's .buffer, which JSC makes (~0.3 µs) for a small array on first use.
 */
export function putUint32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}
