import * as zlib from "node:zlib";
import * as lz4 from "lz4js";
import * as snappy from "snappyjs";
import { StreamNestError } from "../../lib/errors.ts";
import { protocolError } from "./error-codes.ts";

/**
 * The record-batch compression codecs (KIP-98 attributes bits 0–2) and their choices:
 * - gzip: node:zlib, built into Bun.
 * - zstd: node:zlib's zstd, built into Bun 1.4 (KIP-110); no package needed.
 * - snappy: `snappyjs`, a pure-JS port of Google's snappy (3M downloads a month, no
 *   native build, so `bun build --compile` bundles it for every platform). Kafka's Java
 *   client frames snappy the xerial way (snappy-java's SnappyOutputStream) and librdkafka,
 *   kafkajs-snappy and kafka-python all read that framing, so batches are encoded with it;
 *   both xerial-framed and raw snappy are decoded, as librdkafka does.
 * - lz4: `lz4js`, a pure-JS LZ4 frame-format codec (1M downloads a month; the native
 *   `lz4`/`lz4-napi` packages need a compiler or per-platform binaries). Kafka uses the
 *   standard LZ4 frame format since KIP-57. Only lz4js's block coder is used: frames are
 *   assembled here as Kafka's Java client writes them (lz4Encode) and walked and bounded
 *   here when read (lz4Decode).
 * Every decoder is capped at `maxBytes` of output, so a small "bomb" cannot allocate more.
 */
export const COMPRESSION = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof COMPRESSION;
export type CompressionCodec = (typeof COMPRESSION)[CompressionName];

export function compressionName(codec: number): CompressionName {
  const name = (Object.keys(COMPRESSION) as CompressionName[]).find((k) => COMPRESSION[k] === codec);
  if (!name) {
    throw protocolError("CORRUPT_RECORD", "UNSUPPORTED_COMPRESSION_TYPE", `unknown compression codec ${codec}`);
  }
  return name;
}

export function compress(codec: CompressionCodec, data: Uint8Array): Uint8Array {
  switch (codec) {
    case COMPRESSION.none:
      return data;
    case COMPRESSION.gzip:
      return zlib.gzipSync(data);
    case COMPRESSION.snappy:
      return xerialSnappyEncode(data);
    case COMPRESSION.lz4:
      return lz4Encode(data);
    case COMPRESSION.zstd:
      return zlib.zstdCompressSync(data);
  }
}

export function decompress(codec: CompressionCodec, data: Uint8Array, maxBytes: number): Uint8Array {
  const name = compressionName(codec);
  try {
    switch (codec) {
      case COMPRESSION.none:
        return data;
      case COMPRESSION.gzip:
        return zlib.gunzipSync(data, { maxOutputLength: maxBytes });
      case COMPRESSION.snappy:
        return snappyDecode(data, maxBytes);
      case COMPRESSION.lz4:
        return lz4Decode(data, maxBytes);
      case COMPRESSION.zstd:
        return zlib.zstdDecompressSync(data, { maxOutputLength: maxBytes });
    }
  } catch (e) {
    if (e instanceof StreamNestError) throw e;
    throw protocolError(
      "CORRUPT_RECORD",
      "CORRUPT_MESSAGE",
      `${name} payload does not decompress (limit ${maxBytes} bytes): ${(e as Error).message}`,
    );
  }
}

// ---------------------------------------------------------------- snappy

// snappy-java's stream header: 0x82 "SNAPPY" 0x00, then version and compatible version.
const XERIAL_MAGIC = new Uint8Array([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_BLOCK = 32 * 1024;

function xerialSnappyEncode(data: Uint8Array): Uint8Array {
  const blocks: Uint8Array[] = [];
  let total = 16;
  for (let at = 0; at < data.length; at += XERIAL_BLOCK) {
    const block = snappy.compress(data.subarray(at, Math.min(at + XERIAL_BLOCK, data.length)));
    blocks.push(block);
    total += 4 + block.length;
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(XERIAL_MAGIC, 0);
  view.setInt32(8, 1); // version
  view.setInt32(12, 1); // minimum compatible version
  let pos = 16;
  for (const block of blocks) {
    view.setInt32(pos, block.length);
    out.set(block, pos + 4);
    pos += 4 + block.length;
  }
  return out;
}

function isXerial(data: Uint8Array): boolean {
  return data.length >= 16 && XERIAL_MAGIC.every((b, i) => data[i] === b);
}

function snappyDecode(data: Uint8Array, maxBytes: number): Uint8Array {
  if (!isXerial(data)) return snappy.uncompress(data, maxBytes);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const parts: Uint8Array[] = [];
  let total = 0;
  let pos = 16;
  while (pos < data.length) {
    if (data.length - pos < 4) throw corrupt("snappy: truncated xerial block length");
    const len = view.getInt32(pos);
    pos += 4;
    if (len < 0 || len > data.length - pos) throw corrupt(`snappy: xerial block of ${len} bytes overruns the payload`);
    const part = snappy.uncompress(data.subarray(pos, pos + len), maxBytes - total);
    total += part.length;
    parts.push(part);
    pos += len;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

// ---------------------------------------------------------------- lz4

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK = 64 * 1024;
/**
 * Magic, FLG 0x60 (version 01, independent blocks, no checksums), BD 0x40 (64 KiB blocks)
 * and the header checksum (second byte of xxh32 of FLG and BD, 0x82): exactly the header
 * of Kafka's Java KafkaLZ4BlockOutputStream. The reference lz4 tool writes the same bytes
 * for `-B4 -BI --no-frame-crc`.
 */
const LZ4_HEADER = [0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82];

/**
 * Independent 64 KiB blocks, each compressed with a fresh hash table so that no block
 * refers into another: Kafka's Java consumer decodes every block on its own, so frames
 * with linked blocks (lz4js's own frame writer makes them) would fail there once a batch
 * outgrows one block. A block that does not shrink is stored uncompressed.
 */
function lz4Encode(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.from(LZ4_HEADER)];
  let total = LZ4_HEADER.length + 4;
  const scratch = new Uint8Array(lz4.compressBound(LZ4_BLOCK));
  const table = new Uint32Array(1 << 16);
  for (let at = 0; at < data.length; at += LZ4_BLOCK) {
    const chunk = data.subarray(at, Math.min(at + LZ4_BLOCK, data.length));
    table.fill(0);
    const size = lz4.compressBlock(chunk, scratch, 0, chunk.length, table);
    const stored = size > 0 && size < chunk.length;
    const block = new Uint8Array(4 + (stored ? size : chunk.length));
    new DataView(block.buffer).setUint32(0, stored ? size : (chunk.length | 0x80000000) >>> 0, true);
    block.set(stored ? scratch.subarray(0, size) : chunk, 4);
    parts.push(block);
    total += block.length;
  }
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out; // the last 4 bytes stay 0: the end mark
}
const LZ4_BLOCK_SIZES: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };

/**
 * Decodes an LZ4 frame (LZ4 frame format spec: magic, FLG, BD, optional content size,
 * header checksum, blocks each followed by an optional checksum, end mark, optional
 * content checksum). The frame is walked here, with every block checked to lie inside
 * the payload and the output bounded by `maxBytes` before anything is allocated; lz4js
 * only decodes the blocks (its own frame reader puts block checksums before the data and
 * sizes its buffer from an untrusted 64-bit field). Blocks are decoded into one buffer,
 * so linked blocks (LZ4F's default) can refer back to earlier ones. Checksums are not
 * verified: the batch's CRC-32C already covers the compressed bytes.
 */
function lz4Decode(data: Uint8Array, maxBytes: number): Uint8Array {
  const blocks = lz4Blocks(data, maxBytes);
  const out = new Uint8Array(blocks.bound);
  let at = 0;
  for (const b of blocks.list) {
    if (b.uncompressed) {
      out.set(data.subarray(b.start, b.start + b.size), at);
      at += b.size;
    } else {
      checkLz4Block(data, b.start, b.size, at, blocks.blockMax);
      at = lz4.decompressBlock(data, out, b.start, b.size, at);
    }
  }
  return out.subarray(0, at);
}

function lz4Blocks(data: Uint8Array, maxBytes: number) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 7 || view.getUint32(0, true) !== LZ4_MAGIC) throw corrupt("lz4: not an LZ4 frame");
  const flg = data[4];
  const blockMax = LZ4_BLOCK_SIZES[(data[5] >> 4) & 7];
  if (flg >> 6 !== 1 || blockMax === undefined) throw corrupt("lz4: unsupported frame descriptor");
  if ((flg & 0x01) !== 0) throw corrupt("lz4: frames that need a dictionary are not supported");
  const blockChecksum = (flg & 0x10) !== 0;
  const contentSize = (flg & 0x08) !== 0;
  let pos = 6 + (contentSize ? 8 : 0) + 1;
  let bound = 0;
  const list: { start: number; size: number; uncompressed: boolean }[] = [];
  for (;;) {
    if (data.length - pos < 4) throw corrupt("lz4: truncated frame");
    const word = view.getUint32(pos, true);
    pos += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    const uncompressed = (word & 0x80000000) !== 0;
    if (size + (blockChecksum ? 4 : 0) > data.length - pos) throw corrupt("lz4: block overruns the payload");
    if (size > blockMax) throw corrupt("lz4: block larger than the frame's block size");
    bound += uncompressed ? size : blockMax;
    if (bound > maxBytes) throw corrupt(`lz4: frame may hold more than the ${maxBytes}-byte limit`);
    list.push({ start: pos, size, uncompressed });
    pos += size + (blockChecksum ? 4 : 0);
  }
  return { bound, list, blockMax };
}

/**
 * Walks one compressed block's sequences (LZ4 block format: token, literal length,
 * literals, 2-byte offset, match length) without copying anything, and refuses a block
 * whose literals overrun it, whose match reaches before the start of the output, or that
 * would expand past the frame's block size. lz4js's decoder trusts all three, so an
 * adversarial block of 0xff length bytes could otherwise spin through billions of
 * iterations writing nowhere.
 */
function checkLz4Block(src: Uint8Array, start: number, size: number, outputBefore: number, blockMax: number): void {
  const end = start + size;
  let i = start;
  let produced = 0;
  const fail = (why: string) => corrupt(`lz4: malformed block: ${why}`);
  while (i < end) {
    const token = src[i++];
    let literals = token >> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (i >= end) throw fail("literal length runs past the block");
        b = src[i++];
        literals += b;
      } while (b === 255);
    }
    if (literals > end - i) throw fail("literals run past the block");
    i += literals;
    produced += literals;
    if (i >= end) break;
    if (end - i < 2) throw fail("match offset runs past the block");
    const offset = src[i] | (src[i + 1] << 8);
    i += 2;
    if (offset === 0 || offset > outputBefore + produced) throw fail(`match offset ${offset} reaches before the output`);
    let match = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (i >= end) throw fail("match length runs past the block");
        b = src[i++];
        match += b;
      } while (b === 255);
    }
    produced += match;
    if (produced > blockMax) throw fail(`it expands past the ${blockMax}-byte block size`);
  }
  if (produced > blockMax) throw fail(`it expands past the ${blockMax}-byte block size`);
}

function corrupt(message: string): Error {
  return protocolError("CORRUPT_RECORD", "CORRUPT_MESSAGE", message);
}
