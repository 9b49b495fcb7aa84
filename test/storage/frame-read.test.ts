import { afterEach, describe, expect, test } from "bun:test";
import { FrameCursor, type StoredFrames } from "../../src/storage/frame-read.ts";
import { PartitionLog } from "../../src/storage/index.ts";
import { decodeFrame } from "../../src/storage/record-codec.ts";
import type { StoredRecord } from "../../src/storage/types.ts";
import { expectedAt, recordFor, tempDir } from "./fixtures/records.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const text = new TextDecoder();

/** The frames decoded (as the record reader does) and, field by field, through a FrameCursor. */
function decodeAll(frames: StoredFrames): StoredRecord[] {
  const out: StoredRecord[] = [];
  const cursor = new FrameCursor();
  let offset = frames.firstOffset;
  for (const run of frames.runs) {
    expect(run.firstOffset).toBe(offset);
    for (let i = 0; i + 1 < run.starts.length; i++, offset++) {
      const record = decodeFrame(run.buf, run.starts[i], run.starts[i + 1] - run.starts[i], run.view);
      const c = cursor.load(run.view, run.starts[i]);
      expect([c.offset, c.timestamp, c.headerCount]).toEqual([record.offset, record.timestamp, record.headers.length]);
      expect(c.keyLength === -1 ? null : run.buf.subarray(c.keyAt, c.keyAt + c.keyLength)).toEqual(record.key);
      expect(c.valueLength === -1 ? null : run.buf.subarray(c.valueAt, c.valueAt + c.valueLength)).toEqual(record.value);
      if (record.headers.length > 0) {
        const nameLength = run.view.getUint32(c.headersAt, true);
        expect(text.decode(run.buf.subarray(c.headersAt + 4, c.headersAt + 4 + nameLength))).toBe(record.headers[0].key);
      }
      out.push(record);
    }
  }
  expect(out.length).toBe(frames.count);
  return out;
}

const bytesOf = (records: StoredRecord[]) =>
  records.reduce((n, r) => n + (r.key?.length ?? 0) + (r.value?.length ?? 0) + r.headers.reduce((m, h) => m + Buffer.byteLength(h.key) + (h.value?.length ?? 0), 0), 0);

describe("PartitionLog.readFrames", () => {
  test("gives the frames read gives the records of, from memory and from the files, with the same budgets", async () => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const log = PartitionLog.open(dir.path, { segmentBytes: 4096 }, () => {});
    for (let i = 0; i < 200; i += 20) await log.append(range(i, i + 20).map(recordFor));
    const budgets: [number, number, number][] = [[0, 1000, 1 << 24], [150, 1000, 1 << 24], [7, 5, 1 << 24], [30, 1000, 900], [199, 10, 1], [200, 10, 1 << 20]];
    const check = (l: PartitionLog) => {
      for (const [offset, records, bytes] of budgets) {
        const frames = l.readFrames(offset, records, bytes);
        const decoded = decodeAll(frames);
        expect(decoded).toEqual(l.read(offset, records, bytes));
        expect(frames.firstOffset).toBe(offset);
        expect(frames.recordBytes).toBe(bytesOf(decoded));
        expect(frames.minTimestamp).toBe(Math.min(Number.POSITIVE_INFINITY, ...decoded.map((r) => r.timestamp)));
      }
    };
    check(log);
    expect(decodeAll(log.readFrames(0, 1000, 1 << 24))).toEqual(range(0, 200).map(expectedAt));
    await log.close();
    // Reopened: no tail cache, every read from the segments.
    const again = PartitionLog.open(dir.path, { segmentBytes: 4096 }, () => {});
    cleanups.push(() => again.close());
    expect(again.cachedRange).toBeNull();
    check(again);
    expect(() => again.readFrames(201, 1, 1)).toThrow("outside the partition's range");
  });
});
