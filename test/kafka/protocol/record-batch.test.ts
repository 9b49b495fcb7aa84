import { describe, expect, test } from "bun:test";
import { crc32c } from "../../../src/lib/crc32c.ts";
import { StreamNestError } from "../../../src/lib/errors.ts";
import { COMPRESSION, type CompressionName } from "../../../src/kafka/protocol/compression.ts";
import { kafkaErrorOf } from "../../../src/kafka/protocol/error-codes.ts";
import {
  type BatchInput,
  decodeRecordBatch,
  decodeRecordBatches,
  encodeRecordBatch,
  magicOf,
  setBaseOffset,
  setPartitionLeaderEpoch,
} from "../../../src/kafka/protocol/record-batch.ts";
import { kafkajsBatch, kafkajsDecodeBatch } from "./support/kafkajs-records.ts";
import { hex } from "./support/wire.ts";

const enc = new TextEncoder();
const T0 = 1_700_000_000_000;

const INPUT: BatchInput = {
  baseOffset: 0n,
  partitionLeaderEpoch: 0,
  producerId: 4000n,
  producerEpoch: 1,
  baseSequence: 17,
  records: [
    { key: enc.encode("k1"), value: enc.encode("hello"), timestamp: BigInt(T0), headers: [{ key: "trace", value: enc.encode("abc") }] },
    { key: null, value: enc.encode("world"), timestamp: BigInt(T0 + 250) },
    { key: enc.encode("k3"), value: null, timestamp: BigInt(T0 + 7), headers: [{ key: "empty", value: null }] },
  ],
};

const KAFKAJS_MESSAGES = [
  { key: Buffer.from("k1"), value: Buffer.from("hello"), headers: { trace: Buffer.from("abc") }, offsetDelta: 0, timestampDelta: 0 },
  { key: null, value: Buffer.from("world"), offsetDelta: 1, timestampDelta: 250 },
  { key: Buffer.from("k3"), value: null, offsetDelta: 2, timestampDelta: 7 },
];

function caught(fn: () => unknown): StreamNestError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StreamNestError);
    return e as StreamNestError;
  }
  throw new Error("nothing was thrown");
}

describe("record batch v2 against kafkajs's encoder", () => {
  // The third record's null header value is not something kafkajs can express, so the
  // byte comparison uses the first two records and the header-less third.
  const input: BatchInput = { ...INPUT, records: INPUT.records.map((r, i) => (i === 2 ? { ...r, headers: [] } : r)) };

  for (const codec of ["none", "gzip"] as const) {
    test(`${codec}: byte-identical to kafkajs's RecordBatch`, async () => {
      const ours = encodeRecordBatch({ ...input, compression: COMPRESSION[codec] });
      const theirs = await kafkajsBatch({
        compression: COMPRESSION[codec],
        messages: KAFKAJS_MESSAGES,
        baseOffset: "0",
        firstTimestamp: T0,
        maxTimestamp: T0 + 250,
        producerId: "4000",
        producerEpoch: 1,
        firstSequence: 17,
      });
      expect(hex(ours)).toBe(hex(theirs));
    });
  }

  test("kafkajs's decoder reads StreamNest's batch", async () => {
    const records = await kafkajsDecodeBatch(encodeRecordBatch({ ...INPUT, baseOffset: 100n }));
    expect(records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null])).toEqual([
      ["100", String(T0), "k1", "hello"],
      ["101", String(T0 + 250), null, "world"],
      ["102", String(T0 + 7), "k3", null],
    ]);
    expect(records[0].headers).toEqual({ trace: Buffer.from("abc") });
  });

  test("StreamNest's decoder reads kafkajs's batch", async () => {
    const theirs = await kafkajsBatch({
      compression: COMPRESSION.gzip,
      messages: KAFKAJS_MESSAGES,
      baseOffset: "5",
      firstTimestamp: T0,
      maxTimestamp: T0 + 250,
      producerId: "4000",
      producerEpoch: 1,
      firstSequence: 17,
    });
    const batch = decodeRecordBatch(theirs);
    expect(batch.compression).toBe(COMPRESSION.gzip);
    expect(batch.records.map((r) => [r.offset, r.timestamp, r.key && Buffer.from(r.key).toString()])).toEqual([
      [5n, BigInt(T0), "k1"],
      [6n, BigInt(T0 + 250), null],
      [7n, BigInt(T0 + 7), "k3"],
    ]);
  });
});

describe("record batch v2 round trips", () => {
  for (const codec of Object.keys(COMPRESSION) as CompressionName[]) {
    test(`${codec}: every field survives encode and decode`, () => {
      const bytes = encodeRecordBatch({ ...INPUT, baseOffset: 42n, compression: COMPRESSION[codec] });
      const batch = decodeRecordBatch(bytes);
      expect(batch).toMatchObject({
        baseOffset: 42n,
        partitionLeaderEpoch: 0,
        magic: 2,
        compression: COMPRESSION[codec],
        attributes: COMPRESSION[codec],
        timestampType: 0,
        isTransactional: false,
        isControl: false,
        lastOffsetDelta: 2,
        baseTimestamp: BigInt(T0),
        maxTimestamp: BigInt(T0 + 250),
        producerId: 4000n,
        producerEpoch: 1,
        baseSequence: 17,
      });
      expect(
        batch.records.map((r) => ({
          offset: r.offset,
          timestamp: r.timestamp,
          key: r.key && [...r.key],
          value: r.value && [...r.value],
          headers: r.headers.map((h) => ({ key: h.key, value: h.value && [...h.value] })),
        })),
      ).toEqual([
        { offset: 42n, timestamp: BigInt(T0), key: [...enc.encode("k1")], value: [...enc.encode("hello")], headers: [{ key: "trace", value: [...enc.encode("abc")] }] },
        { offset: 43n, timestamp: BigInt(T0 + 250), key: null, value: [...enc.encode("world")], headers: [] },
        { offset: 44n, timestamp: BigInt(T0 + 7), key: [...enc.encode("k3")], value: null, headers: [{ key: "empty", value: null }] },
      ]);
    });

    test(`${codec}: a batch of 5,000 records of 1 KiB round-trips`, () => {
      const value = new Uint8Array(1024).map((_, i) => (i * 7) % 251);
      const records = Array.from({ length: 5000 }, (_, i) => ({ value, key: enc.encode(`k${i}`), timestamp: BigInt(T0 + i) }));
      const batch = decodeRecordBatch(encodeRecordBatch({ records, compression: COMPRESSION[codec] }));
      expect(batch.records.length).toBe(5000);
      expect(batch.records[4999].offset).toBe(4999n);
      expect(Buffer.from(batch.records[4999].key ?? []).toString()).toBe("k4999");
      expect(Buffer.compare(Buffer.from(batch.records[1234].value ?? []), Buffer.from(value))).toBe(0);
    });
  }

  test("an empty batch, timestamp type, transactional flag and producer defaults", () => {
    const batch = decodeRecordBatch(encodeRecordBatch({ records: [], timestampType: 1, isTransactional: true }));
    expect(batch.records).toEqual([]);
    expect(batch.timestampType).toBe(1);
    expect(batch.isTransactional).toBe(true);
    expect(batch.attributes).toBe(0x18);
    expect([batch.producerId, batch.producerEpoch, batch.baseSequence, batch.partitionLeaderEpoch]).toEqual([-1n, -1, -1, -1]);
  });

  test("base offset and leader epoch are rewritten in place without breaking the CRC", () => {
    const bytes = encodeRecordBatch(INPUT);
    setBaseOffset(bytes, 1000n);
    setPartitionLeaderEpoch(bytes, 9);
    const batch = decodeRecordBatch(bytes);
    expect(batch.baseOffset).toBe(1000n);
    expect(batch.partitionLeaderEpoch).toBe(9);
    expect(batch.records[2].offset).toBe(1002n);
  });

  test("the CRC is CRC-32C of everything from the attributes on", () => {
    const bytes = encodeRecordBatch(INPUT);
    expect(new DataView(bytes.buffer).getUint32(17)).toBe(crc32c(bytes.subarray(21)));
  });
});

describe("record batch v2 refuses bad input", () => {
  test("a wrong CRC is detected", () => {
    const bytes = encodeRecordBatch(INPUT);
    bytes[bytes.length - 1] ^= 0xff;
    const e = caught(() => decodeRecordBatch(bytes));
    expect(e.code).toBe("CORRUPT_RECORD");
    expect(e.message).toStartWith("batch CRC mismatch: stored ");
    expect(kafkaErrorOf(e)).toBe("CORRUPT_MESSAGE");
  });

  test("a truncated batch is refused", () => {
    const bytes = encodeRecordBatch(INPUT);
    const e = caught(() => decodeRecordBatch(bytes.subarray(0, bytes.length - 3)));
    expect(e.message).toBe(`batch length ${bytes.length - 12} does not match the ${bytes.length - 15} bytes after it`);
    expect(caught(() => decodeRecordBatch(bytes.subarray(0, 10))).message).toContain("truncated input: int32");
  });

  test("a record count larger than the records is refused before the loop", () => {
    const bytes = encodeRecordBatch(INPUT);
    new DataView(bytes.buffer).setInt32(57, 1_000_000_000);
    new DataView(bytes.buffer).setUint32(17, crc32c(bytes.subarray(21)));
    expect(caught(() => decodeRecordBatch(bytes)).message).toMatch(/^record count 1000000000 cannot fit in \d+ bytes$/);
  });

  test("a negative record length inside a valid CRC is refused", () => {
    const bytes = encodeRecordBatch({ records: [{ value: enc.encode("x"), timestamp: 0n }] });
    bytes[61] = 0x03; // zigzag -2
    new DataView(bytes.buffer).setUint32(17, crc32c(bytes.subarray(21)));
    expect(caught(() => decodeRecordBatch(bytes)).message).toBe("record: invalid length -2");
  });

  test("legacy message sets (magic 0 and 1) are refused clearly", () => {
    // MessageSet v1 entry: offset int64, size int32, crc int32, magic 1, attributes int8,
    // timestamp int64, key bytes (-1), value "hi" — shorter than any v2 batch header.
    const legacy = new Uint8Array([
      ...new Uint8Array(8), 0, 0, 0, 24, 0x12, 0x34, 0x56, 0x78, 1, 0, ...new Uint8Array(8), 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 2, 0x68, 0x69,
    ]);
    expect(legacy.length).toBe(36);
    expect(magicOf(legacy)).toBe(1);
    for (const decode of [() => decodeRecordBatch(legacy), () => decodeRecordBatches(legacy)]) {
      const e = caught(decode);
      expect(e.message).toBe(
        "message format v1 (magic 1) is not supported: StreamNest speaks record batch v2 only (Produce v3+, Fetch v4+)",
      );
      expect(kafkaErrorOf(e)).toBe("UNSUPPORTED_FOR_MESSAGE_FORMAT");
    }
    const v0 = legacy.slice();
    v0[16] = 0;
    expect(caught(() => decodeRecordBatch(v0)).message).toStartWith("message format v0 (magic 0) is not supported");
  });

  test("an unknown compression codec is refused", () => {
    const bytes = encodeRecordBatch(INPUT);
    new DataView(bytes.buffer).setInt16(21, 5);
    new DataView(bytes.buffer).setUint32(17, crc32c(bytes.subarray(21)));
    const e = caught(() => decodeRecordBatch(bytes));
    expect(e.message).toBe("unknown compression codec 5");
    expect(kafkaErrorOf(e)).toBe("UNSUPPORTED_COMPRESSION_TYPE");
  });

  test("decompression beyond the limit is refused", () => {
    const records = [{ value: new Uint8Array(100_000), timestamp: 0n }];
    for (const codec of ["gzip", "snappy", "lz4", "zstd"] as const) {
      const bytes = encodeRecordBatch({ records, compression: COMPRESSION[codec] });
      const e = caught(() => decodeRecordBatch(bytes, { maxDecompressedBytes: 10_000 }));
      expect(e.code).toBe("CORRUPT_RECORD");
      expect(e.message).toContain(codec);
    }
  });
});

describe("several batches in one records field", () => {
  const a = encodeRecordBatch({ ...INPUT, baseOffset: 0n });
  const b = encodeRecordBatch({ ...INPUT, baseOffset: 3n, compression: COMPRESSION.zstd });
  const both = new Uint8Array([...a, ...b]);

  test("are decoded in order", () => {
    expect(decodeRecordBatches(both).map((x) => x.records.map((r) => r.offset))).toEqual([
      [0n, 1n, 2n],
      [3n, 4n, 5n],
    ]);
  });

  test("a partial last batch (a fetch cut at max bytes) is dropped only when allowed", () => {
    const cut = both.subarray(0, a.length + 30);
    expect(decodeRecordBatches(cut, { allowPartialTail: true }).length).toBe(1);
    expect(caught(() => decodeRecordBatches(cut)).message).toBe(`batch of ${b.length} bytes is truncated to 30`);
  });

  test("a batch length below the header size is refused", () => {
    const bad = a.slice();
    new DataView(bad.buffer).setInt32(8, 10);
    expect(caught(() => decodeRecordBatches(bad)).message).toBe("batch length 10 is below the batch header's size");
  });
});
