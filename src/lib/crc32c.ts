/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum Kafka's record
 * batches use (KIP-98). Slicing-by-8 (and -16 over whole words for large inputs) tables
 * keep it fast enough for the append path.
 */
const POLY = 0x82f63b78;
// Int32Array, not Uint32Array: half the entries are above 2^31, and a Uint32Array load
// of one is not an int32, so JSC's optimizing tiers, which speculate int32 results, kept
// exiting ("Overflow" under BUN_JSC_verboseOSR) and recompiling the loops, 10 times in 2 s
// of produce load; the CRC took 17% of a single-message produce. XOR is the same on the
// signed bits.
const TABLES: Int32Array[] = (() => {
  const tables = Array.from({ length: 16 }, () => new Int32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    tables[0][n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[0][n];
    for (let t = 1; t < 16; t++) {
      c = tables[0][c & 0xff] ^ (c >>> 8);
      tables[t][n] = c >>> 0;
    }
  }
  return tables;
})();

// Module-level bindings: destructuring the tables on every call cost as much as the loop.
const [t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, t15] = TABLES;

/** Words read through an Int32Array are little-endian only on a little-endian machine. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Below this, the Int32Array view costs more than its word reads save. */
const WORDS_FROM_BYTES = 256;

export function crc32c(data: Uint8Array, initial = 0): number {
  if (LITTLE_ENDIAN && data.length >= WORDS_FROM_BYTES) return crc32cWords(data, initial);
  let crc = ~initial >>> 0;
  let i = 0;
  const len = data.length;
  while (len - i >= 8) {
    const a = (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) ^ crc;
    crc =
      t7[a & 0xff] ^
      t6[(a >>> 8) & 0xff] ^
      t5[(a >>> 16) & 0xff] ^
      t4[a >>> 24] ^
      t3[data[i + 4]] ^
      t2[data[i + 5]] ^
      t1[data[i + 6]] ^
      t0[data[i + 7]];
    i += 8;
  }
  while (i < len) crc = t0[(crc ^ data[i++]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

/**
 * Slicing-by-16 over aligned 32-bit words (one Int32Array load per 4 bytes instead of
 * four byte loads): measured ~1.5x the byte-wise loop on a 1 MiB record batch, the size
 * a Kafka produce or fetch checksums whole.
 */
function crc32cWords(data: Uint8Array, initial: number): number {
  let crc = ~initial;
  let i = 0;
  const end = data.length;
  while (((data.byteOffset + i) & 3) !== 0) crc = t0[(crc ^ data[i++]) & 0xff] ^ (crc >>> 8);
  const words = new Int32Array(data.buffer, data.byteOffset + i, (end - i) >>> 2);
  const count = words.length;
  let w = 0;
  for (; w + 4 <= count; w += 4) {
    const a = words[w] ^ crc;
    const b = words[w + 1];
    const c = words[w + 2];
    const d = words[w + 3];
    crc =
      t15[a & 0xff] ^ t14[(a >>> 8) & 0xff] ^ t13[(a >>> 16) & 0xff] ^ t12[a >>> 24] ^
      t11[b & 0xff] ^ t10[(b >>> 8) & 0xff] ^ t9[(b >>> 16) & 0xff] ^ t8[b >>> 24] ^
      t7[c & 0xff] ^ t6[(c >>> 8) & 0xff] ^ t5[(c >>> 16) & 0xff] ^ t4[c >>> 24] ^
      t3[d & 0xff] ^ t2[(d >>> 8) & 0xff] ^ t1[(d >>> 16) & 0xff] ^ t0[d >>> 24];
  }
  i += w * 4;
  while (i < end) crc = t0[(crc ^ data[i++]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

/**
 * CRC-32C of bytes [start, end) of `view`: the read path checks every frame of a buffer
 * through one DataView instead of a subarray per frame, and reads little-endian 32-bit
 * words rather than single bytes (measured ~2x faster per 125-byte frame body).
 */
export function crc32cRange(view: DataView, start: number, end: number, initial = 0): number {
  return crc32cRangeInt32(view, start, end, initial) >>> 0;
}

/** From this many bytes a range is read as whole words (a 100-byte message's frame is ~130). */
const WORDS_FROM_FRAME_BYTES = 48;
/**
 * Word and byte views of the buffer of the last range checksummed: a read or a write
 * checksums every frame of one buffer in turn, so the views are made once per buffer,
 * not per frame.
 */
let rangeBuffer: ArrayBufferLike | null = null;
let rangeWordsView: Int32Array<ArrayBufferLike> = new Int32Array(0);
let rangeBytesView: Uint8Array<ArrayBufferLike> = new Uint8Array(0);

/** crc32cRangeInt32 over aligned whole words, slicing-by-16 (~1.3x the DataView loop on a frame). */
function rangeWords(view: DataView, start: number, end: number, initial: number): number {
  const buffer = view.buffer;
  if (buffer !== rangeBuffer) {
    rangeBuffer = buffer;
    rangeWordsView = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
    rangeBytesView = new Uint8Array(buffer);
  }
  const bytes = rangeBytesView;
  const words = rangeWordsView;
  let crc = ~initial;
  let i = view.byteOffset + start;
  const last = view.byteOffset + end;
  while ((i & 3) !== 0) crc = t0[(crc ^ bytes[i++]) & 0xff] ^ (crc >>> 8);
  let w = i >>> 2;
  const wordsEnd = last >>> 2;
  for (; w + 4 <= wordsEnd; w += 4) {
    const a = words[w] ^ crc;
    const b = words[w + 1];
    const c = words[w + 2];
    const d = words[w + 3];
    crc =
      t15[a & 0xff] ^ t14[(a >>> 8) & 0xff] ^ t13[(a >>> 16) & 0xff] ^ t12[a >>> 24] ^
      t11[b & 0xff] ^ t10[(b >>> 8) & 0xff] ^ t9[(b >>> 16) & 0xff] ^ t8[b >>> 24] ^
      t7[c & 0xff] ^ t6[(c >>> 8) & 0xff] ^ t5[(c >>> 16) & 0xff] ^ t4[c >>> 24] ^
      t3[d & 0xff] ^ t2[(d >>> 8) & 0xff] ^ t1[(d >>> 16) & 0xff] ^ t0[d >>> 24];
  }
  for (; w < wordsEnd; w++) {
    const a = words[w] ^ crc;
    crc = t3[a & 0xff] ^ t2[(a >>> 8) & 0xff] ^ t1[(a >>> 16) & 0xff] ^ t0[a >>> 24];
  }
  i = w * 4;
  while (i < last) crc = t0[(crc ^ bytes[i++]) & 0xff] ^ (crc >>> 8);
  return ~crc | 0;
}

/**
 * crc32cRange as a signed 32-bit integer (compare it with `getInt32`): the frame codec
 * keeps every value on its path an int32, for the reason the tables are Int32Array.
 */
export function crc32cRangeInt32(view: DataView, start: number, end: number, initial = 0): number {
  if (LITTLE_ENDIAN && end - start >= WORDS_FROM_FRAME_BYTES) return rangeWords(view, start, end, initial);
  let crc = ~initial;
  let i = start;
  while (end - i >= 8) {
    const a = view.getInt32(i, true) ^ crc;
    const b = view.getInt32(i + 4, true);
    crc =
      t7[a & 0xff] ^
      t6[(a >>> 8) & 0xff] ^
      t5[(a >>> 16) & 0xff] ^
      t4[a >>> 24] ^
      t3[b & 0xff] ^
      t2[(b >>> 8) & 0xff] ^
      t1[(b >>> 16) & 0xff] ^
      t0[b >>> 24];
    i += 8;
  }
  while (i < end) crc = t0[(crc ^ view.getUint8(i++)) & 0xff] ^ (crc >>> 8);
  return ~crc | 0;
}
