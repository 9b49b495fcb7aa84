import { describe, expect, test } from "bun:test";
import * as zlib from "node:zlib";
import { createRequire } from "node:module";
import * as lz4 from "lz4js";
import * as snappy from "snappyjs";
import { StreamNestError } from "../../../src/lib/errors.ts";
import { COMPRESSION, type CompressionName, compress, compressionName, decompress } from "../../../src/kafka/protocol/compression.ts";
import { LZ4_DEFAULT_HEX, LZ4_LINKED_HEX, lz4Input } from "./fixtures/lz4-reference-frames.ts";
import { fromHex, hex } from "./support/wire.ts";

const LIMIT = 64 * 1024 * 1024;
const text = new TextEncoder().encode("StreamNest speaks Kafka. ".repeat(4000));

function caught(fn: () => unknown): StreamNestError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StreamNestError);
    return e as StreamNestError;
  }
  throw new Error("nothing was thrown");
}

describe("codecs round-trip", () => {
  for (const name of Object.keys(COMPRESSION) as CompressionName[]) {
    const codec = COMPRESSION[name];
    test(`${name}: 100 KB of text, one byte and nothing`, () => {
      for (const data of [text, Uint8Array.of(7), new Uint8Array(0)]) {
        const packed = compress(codec, data);
        if (name !== "none" && data.length > 1000) expect(packed.length).toBeLessThan(data.length / 10);
        expect(Buffer.compare(Buffer.from(decompress(codec, packed, LIMIT)), Buffer.from(data))).toBe(0);
      }
    });
  }

  test("codec numbers follow KIP-98's attribute bits", () => {
    expect(COMPRESSION).toEqual({ none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 });
    expect(compressionName(3)).toBe("lz4");
    expect(() => compressionName(7)).toThrow("unknown compression codec 7");
  });
});

describe("snappy framing", () => {
  test("encodes the xerial framing Kafka's Java client writes (magic, version 1, compatible 1, sized blocks)", () => {
    const data = new Uint8Array(70_000).map((_, i) => i % 13);
    const packed = compress(COMPRESSION.snappy, data);
    expect(hex(packed.subarray(0, 16))).toBe("82534e415050590000000001" + "00000001");
    // 70,000 bytes make three 32 KiB blocks, each a raw snappy block behind its int32 size.
    const view = new DataView(packed.buffer, packed.byteOffset);
    let pos = 16;
    let blocks = 0;
    let total = 0;
    while (pos < packed.length) {
      const len = view.getInt32(pos);
      total += snappy.uncompress(packed.subarray(pos + 4, pos + 4 + len)).length;
      pos += 4 + len;
      blocks++;
    }
    expect([blocks, total, pos]).toEqual([3, 70_000, packed.length]);
  });

  test("decodes raw (unframed) snappy as librdkafka may send it", () => {
    const raw = snappy.compress(text);
    expect(Buffer.from(decompress(COMPRESSION.snappy, raw, LIMIT)).toString()).toBe(Buffer.from(text).toString());
  });

  test("a xerial block that overruns the payload is refused", () => {
    const packed = compress(COMPRESSION.snappy, text);
    new DataView(packed.buffer, packed.byteOffset).setInt32(16, 1_000_000);
    expect(caught(() => decompress(COMPRESSION.snappy, packed, LIMIT)).message).toBe(
      "snappy: xerial block of 1000000 bytes overruns the payload",
    );
  });

  test("a raw snappy block declaring more than the limit is refused", () => {
    const raw = snappy.compress(new Uint8Array(100_000));
    expect(caught(() => decompress(COMPRESSION.snappy, raw, 1000)).message).toContain("snappy payload does not decompress");
  });
});

describe("lz4 frames", () => {
  test("are written as Kafka's Java client writes them: 64 KiB independent blocks, checked header", () => {
    const packed = compress(COMPRESSION.lz4, lz4Input());
    expect(hex(packed.subarray(0, 7))).toBe("04224d18604082");
    const xxh32 = (createRequire(import.meta.url)("lz4js/xxh32.js") as { hash(seed: number, src: Uint8Array, i: number, n: number): number }).hash;
    expect((xxh32(0, packed, 4, 2) >>> 8) & 0xff).toBe(0x82);
    // Every block decodes on its own into an empty buffer: none refers into another.
    const view = new DataView(packed.buffer, packed.byteOffset);
    const decoded: number[] = [];
    let pos = 7;
    let blocks = 0;
    for (let word = view.getUint32(pos, true); word !== 0; word = view.getUint32(pos, true)) {
      const size = word & 0x7fffffff;
      const own = new Uint8Array(64 * 1024);
      const n = word & 0x80000000 ? (own.set(packed.subarray(pos + 4, pos + 4 + size)), size) : lz4.decompressBlock(packed, own, pos + 4, size, 0);
      expect(n).toBeLessThanOrEqual(64 * 1024);
      decoded.push(...own.subarray(0, n));
      pos += 4 + size;
      blocks++;
    }
    expect(blocks).toBe(3);
    expect(pos + 4).toBe(packed.length);
    expect(Buffer.compare(Buffer.from(decoded), Buffer.from(lz4Input()))).toBe(0);
  });

  test("decodes the reference tool's frames: linked blocks with checksums, and its defaults", () => {
    const input = lz4Input();
    for (const frame of [LZ4_LINKED_HEX, LZ4_DEFAULT_HEX]) {
      const out = decompress(COMPRESSION.lz4, fromHex(frame), LIMIT);
      expect(out.length).toBe(150_000);
      expect(Buffer.compare(Buffer.from(out), Buffer.from(input))).toBe(0);
    }
  });

  test("decodes a frame with content size, block checksums and a content checksum (flags lz4js does not write)", () => {
    const data = new TextEncoder().encode("uncompressed block");
    const frame = new Uint8Array([
      0x04, 0x22, 0x4d, 0x18, // magic
      0x40 | 0x10 | 0x08 | 0x04, // FLG: version 01, block checksum, content size, content checksum
      0x40, // BD: 64 KiB blocks
      ...new Uint8Array([data.length, 0, 0, 0, 0, 0, 0, 0]), // content size (little-endian)
      0x00, // header checksum (not verified: the batch CRC covers the payload)
      data.length, 0, 0, 0x80, // block size with the "uncompressed" bit
      ...data,
      1, 2, 3, 4, // block checksum
      0, 0, 0, 0, // end mark
      5, 6, 7, 8, // content checksum
    ]);
    expect(Buffer.from(decompress(COMPRESSION.lz4, frame, LIMIT)).toString()).toBe("uncompressed block");
  });

  test("a truncated frame is refused", () => {
    const packed = compress(COMPRESSION.lz4, text);
    expect(caught(() => decompress(COMPRESSION.lz4, packed.subarray(0, packed.length - 10), LIMIT)).message).toMatch(
      /^lz4: (truncated frame|block overruns the payload)$/,
    );
  });

  test("a frame whose blocks could exceed the limit is refused before allocating", () => {
    // 100 one-byte compressed blocks of a 4 MiB-block frame could expand to 400 MiB.
    const blocks = Array.from({ length: 100 }, () => [1, 0, 0, 0, 0x00]).flat();
    const frame = new Uint8Array([0x04, 0x22, 0x4d, 0x18, 0x40, 0x70, 0x00, ...blocks, 0, 0, 0, 0]);
    expect(caught(() => decompress(COMPRESSION.lz4, frame, LIMIT)).message).toContain(
      "lz4: frame may hold more than the 67108864-byte limit",
    );
  });

  test("not an lz4 frame is refused", () => {
    expect(caught(() => decompress(COMPRESSION.lz4, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), LIMIT)).message).toContain(
      "lz4: not an LZ4 frame",
    );
  });
});

describe("gzip and zstd", () => {
  test("decodes a frame of the reference zstd tool (v1.5.4, level 19, content size and checksum)", () => {
    const frame = fromHex("28b52ffd64e8020d0100c853747265616d4e65737420737065616b73204b61666b612e20010031e76a8e01de0e1d8d");
    expect(Buffer.from(decompress(COMPRESSION.zstd, frame, LIMIT)).toString()).toBe("StreamNest speaks Kafka. ".repeat(40));
  });

  test("a corrupt gzip payload is CORRUPT_RECORD", () => {
    const packed = zlib.gzipSync(text);
    const e = caught(() => decompress(COMPRESSION.gzip, packed.subarray(0, 30), LIMIT));
    expect(e.code).toBe("CORRUPT_RECORD");
    expect(e.message).toStartWith("gzip payload does not decompress");
  });

  test("a corrupt zstd payload is CORRUPT_RECORD", () => {
    const e = caught(() => decompress(COMPRESSION.zstd, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), LIMIT));
    expect(e.code).toBe("CORRUPT_RECORD");
    expect(e.message).toStartWith("zstd payload does not decompress");
  });

  test("a gzip or zstd bomb stops at the limit", () => {
    const zeros = new Uint8Array(10_000_000);
    for (const codec of [COMPRESSION.gzip, COMPRESSION.zstd] as const) {
      const packed = compress(codec, zeros);
      expect(packed.length).toBeLessThan(20_000);
      expect(caught(() => decompress(codec, packed, 1_000_000)).message).toContain("limit 1000000 bytes");
    }
  });
});

describe("lz4 blocks are checked before lz4js decodes them", () => {
  const frameOf = (block: number[]) =>
    new Uint8Array([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x00, block.length & 0xff, block.length >> 8, 0, 0, ...block, 0, 0, 0, 0]);

  test("a literal length of 0xff bytes that would spin through billions of copies is refused", () => {
    const block = [0xf0, ...new Array(4000).fill(0xff), 0x00];
    expect(caught(() => decompress(COMPRESSION.lz4, frameOf(block), LIMIT)).message).toBe(
      "lz4: malformed block: literals run past the block",
    );
  });

  test("a match length expanding past the block size is refused", () => {
    const block = [0x1f, 0x41, 0x01, 0x00, ...new Array(300).fill(0xff), 0x00];
    expect(caught(() => decompress(COMPRESSION.lz4, frameOf(block), LIMIT)).message).toBe(
      "lz4: malformed block: it expands past the 65536-byte block size",
    );
  });

  test("a match offset reaching before the output is refused", () => {
    expect(caught(() => decompress(COMPRESSION.lz4, frameOf([0x10, 0x41, 0x05, 0x00]), LIMIT)).message).toBe(
      "lz4: malformed block: match offset 5 reaches before the output",
    );
  });

  test("a valid hand-made block decodes: literal 'A' then a 7-byte match at offset 1", () => {
    const out = decompress(COMPRESSION.lz4, frameOf([0x13, 0x41, 0x01, 0x00]), LIMIT);
    expect(Buffer.from(out).toString()).toBe("AAAAAAAA");
  });
});
