import { describe, expect, test } from "bun:test";
import { batchToFrames } from "../../src/kafka/batch-to-frames.ts";
import { COMPRESSION, decodeRecordBatch, encodeRecordBatch, type RecordInput } from "../../src/kafka/protocol/index.ts";
import { FrameCursor } from "../../src/broker/frames.ts";
import { crc32c } from "../../src/lib/crc32c.ts";
import { decodeFrame, viewOf } from "../../src/storage/record-codec.ts";
import type { StoredRecord } from "../../src/storage/types.ts";

const utf8 = new TextEncoder();

/** The batch's frames once the log has sealed them (offset and CRC), decoded as a read decodes them. */
function storedOf(frames: ReturnType<typeof batchToFrames>["frames"]): StoredRecord[] {
  const buf = new Uint8Array(frames.frames);
  const view = viewOf(buf);
  const out: StoredRecord[] = [];
  const cursor = new FrameCursor();
  for (let i = 0; i < frames.count; i++) {
    const at = frames.starts[i];
    const bytes = frames.starts[i + 1] - at;
    // The offset is the log's; decodeFrame does not check the CRC (checkFrame does, on reads).
    view.setBigInt64(at + 9, BigInt(i), true);
    out.push(decodeFrame(buf, at, bytes, view));
    expect(cursor.load(view, at).timestamp).toBe(frames.timestamps[i]);
  }
  return out;
}

const records: RecordInput[] = [
  { key: utf8.encode("k0"), value: utf8.encode("v0"), headers: [{ key: "h", value: utf8.encode("x") }, { key: "🎉", value: null }], timestamp: 1_700_000_000_000n, offsetDelta: 0 },
  { key: null, value: null, timestamp: 1_700_000_000_005n, offsetDelta: 1 },
  { key: null, value: new Uint8Array(0), timestamp: 1_699_999_999_990n, offsetDelta: 2 },
  { key: utf8.encode("long"), value: new Uint8Array(3000).fill(7), timestamp: -1n, offsetDelta: 3 },
  { key: null, value: utf8.encode("far"), timestamp: 1_700_000_000_000n + 2n ** 40n, offsetDelta: 4 },
];

describe("batchToFrames", () => {
  for (const [name, compression] of Object.entries(COMPRESSION))
    test(`stores what the record decoder reads, codec ${name}`, () => {
      const batch = encodeRecordBatch({ records, compression, producerId: 7n, producerEpoch: 1, baseSequence: 3 });
      const { header, frames } = batchToFrames(batch, 42);
      const decoded = decodeRecordBatch(batch);
      expect([header.producerId, header.producerEpoch, header.baseSequence, header.recordCount, header.compression]).toEqual([7n, 1, 3, 5, compression]);
      expect(storedOf(frames)).toEqual(
        decoded.records.map((r, i) => ({
          offset: i,
          // A record without a timestamp (negative) gets the broker's time, as produce stamps it.
          timestamp: r.timestamp < 0n ? 42 : Number(r.timestamp),
          key: r.key,
          value: r.value,
          headers: r.headers,
        })),
      );
      // k0, v0, h, x, 🎉 (4 bytes of UTF-8); long and its 3000 bytes; far.
      expect(frames.recordBytes).toBe(2 + 2 + 1 + 1 + 4 + 4 + 3000 + 3);
    });

  test("a LogAppendTime batch takes the broker's time for every record", () => {
    const { frames } = batchToFrames(encodeRecordBatch({ records, timestampType: 1 }), 99);
    expect([...frames.timestamps]).toEqual([99, 99, 99, 99, 99]);
  });

  test("a batch the decoder refuses is refused: a flipped byte (CRC), a record overrunning what is left", () => {
    const batch = encodeRecordBatch({ records });
    const flipped = batch.slice();
    flipped[70] ^= 1;
    expect(() => batchToFrames(flipped, 0)).toThrow("CRC");
    expect(() => decodeRecordBatch(flipped)).toThrow("CRC");
    // A record that says it is longer than what is left, with a valid CRC over it.
    const bad = encodeRecordBatch({ records: [{ key: null, value: utf8.encode("abc"), timestamp: 1n }] });
    bad[61] = 0x7e; // length varint 63 where 9 bytes remain
    new DataView(bad.buffer).setUint32(17, crc32c(bad.subarray(21)));
    expect(() => decodeRecordBatch(bad)).toThrow();
    expect(() => batchToFrames(bad, 0)).toThrow("overruns");
  });
});
