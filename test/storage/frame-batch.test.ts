import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { FrameBatchBuilder } from "../../src/storage/frame-batch.ts";
import { PartitionLog } from "../../src/storage/index.ts";
import { encodeRecords } from "../../src/storage/record-codec.ts";
import { segmentFileName } from "../../src/storage/segment.ts";
import type { RecordInput } from "../../src/storage/types.ts";
import { framesOf } from "./fixtures/frames.ts";
import { expectedAt, recordFor, tempDir } from "./fixtures/records.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const utf8 = new TextEncoder();

function open(options: Parameters<typeof PartitionLog.open>[1] = {}) {
  const dir = tempDir();
  const log = PartitionLog.open(dir.path, options, () => {});
  cleanups.push(() => dir.remove());
  cleanups.push(() => log.close());
  return { dir: dir.path, log };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const tombstone: RecordInput = { key: utf8.encode("k"), value: null, headers: [{ key: "h", value: null }], timestamp: -5 };

describe("FrameBatchBuilder", () => {
  test("lays records out as their frames, byte for byte, but for the offsets and CRCs written on append", () => {
    const records = [...range(0, 40).map(recordFor), tombstone];
    // Small hints: the buffers grow as records come.
    const batch = framesOf(records);
    const encoded = encodeRecords(records, 0);
    expect(batch.count).toBe(41);
    expect(batch.frames.length).toBe(encoded.length);
    expect(batch.starts.length).toBe(42);
    expect(batch.starts[41]).toBe(encoded.length);
    const view = new DataView(encoded.buffer);
    for (let i = 0; i < 41; i++) {
      const at = batch.starts[i];
      // Length and magic as encoded; CRC (4..8) and offset (9..17) left for the append.
      expect([...batch.frames.subarray(at, at + 4)]).toEqual([...encoded.subarray(at, at + 4)]);
      expect([...batch.frames.subarray(at + 8, at + 9)]).toEqual([...encoded.subarray(at + 8, at + 9)]);
      expect([...batch.frames.subarray(at + 17, batch.starts[i + 1])]).toEqual([...encoded.subarray(at + 17, batch.starts[i + 1])]);
      expect(view.getUint32(at, true) + 4).toBe(batch.starts[i + 1] - at);
    }
    expect([...batch.timestamps]).toEqual(records.map((r) => r.timestamp));
    const sizes = records.map((r) => (r.key?.length ?? 0) + (r.value?.length ?? 0) + r.headers.reduce((n, h) => n + utf8.encode(h.key).length + (h.value?.length ?? 0), 0));
    expect(batch.recordBytes).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(batch.maxRecordBytes).toBe(Math.max(...sizes));
    expect(batch.maxFrameBytes).toBe(Math.max(...range(0, 41).map((i) => batch.starts[i + 1] - batch.starts[i])));
  });

  test("a timestamp that is not a safe integer is refused", () => {
    const builder = new FrameBatchBuilder(64, 1);
    expect(() => builder.add(2 ** 60, Buffer.alloc(1), 0, -1, 0, 1, null)).toThrow("timestamp must be an integer");
    expect(builder.count).toBe(0);
  });
});

describe("PartitionLog.appendFrames", () => {
  test("writes what append writes for the same records: offsets, reads and the segment's bytes", async () => {
    const { log: bulk, dir: bulkDir } = open();
    const { log: plain, dir: plainDir } = open();
    const records = range(0, 120).map(recordFor);
    expect(await bulk.appendFrames(framesOf(records.slice(0, 50)))).toEqual({ baseOffset: 0, lastOffset: 49 });
    expect(await bulk.appendFrames(framesOf(records.slice(50)))).toEqual({ baseOffset: 50, lastOffset: 119 });
    await plain.append(records.slice(0, 50));
    await plain.append(records.slice(50));
    expect(bulk.logEndOffset).toBe(120);
    expect(bulk.read(0, 1000, 1 << 24)).toEqual(range(0, 120).map(expectedAt));
    expect(bulk.read(77, 5, 1 << 24)).toEqual(range(77, 82).map(expectedAt));
    await bulk.flush();
    await plain.flush();
    const file = segmentFileName(0);
    expect(readFileSync(join(bulkDir, file)).equals(readFileSync(join(plainDir, file)))).toBe(true);
  });

  test("joins the turn's coalesced write with plain appends, each getting its own offsets", async () => {
    const { log } = open();
    const answers = await Promise.all([
      log.append([recordFor(0), recordFor(1)]),
      log.appendFrames(framesOf([recordFor(2), recordFor(3), recordFor(4)])),
      log.append([recordFor(5)]),
    ]);
    expect(answers).toEqual([
      { baseOffset: 0, lastOffset: 1 },
      { baseOffset: 2, lastOffset: 4 },
      { baseOffset: 5, lastOffset: 5 },
    ]);
    expect(log.read(0, 100, 1 << 24)).toEqual(range(0, 6).map(expectedAt));
  });

  test("rolls segments inside a batch as record by record appends do, and the frames read back after a reopen", async () => {
    const { log, dir } = open({ segmentBytes: 2048 });
    await log.appendFrames(framesOf(range(0, 100).map(recordFor)));
    expect(log.segmentCount).toBeGreaterThan(3);
    await log.close();
    const again = PartitionLog.open(dir, { segmentBytes: 2048 }, () => {});
    cleanups.push(() => again.close());
    expect(again.logEndOffset).toBe(100);
    expect(again.read(0, 1000, 1 << 24)).toEqual(range(0, 100).map(expectedAt));
  });

  test("a batch written on its own is sealed in its own buffer; one sharing a write is copied and left as it was", async () => {
    const { log } = open();
    const alone = framesOf(range(0, 5).map(recordFor));
    await log.appendFrames(alone);
    // Its frames now hold their offsets and CRCs: the bytes the log wrote.
    expect([...alone.frames]).toEqual([...encodeRecords(range(0, 5).map(recordFor), 0)]);
    const shared = framesOf(range(6, 8).map(recordFor));
    const before = [...shared.frames];
    await Promise.all([log.append([recordFor(5)]), log.appendFrames(shared)]);
    expect([...shared.frames]).toEqual(before);
    const read = log.read(0, 100, 1 << 24);
    expect(read).toEqual(range(0, 8).map(expectedAt));
    // Served from memory, the values are plain Uint8Arrays, as a Buffer would compare and serialise differently.
    expect(read.every((r) => r.value === null || Object.getPrototypeOf(r.value) === Uint8Array.prototype)).toBe(true);
  });

  test("an empty batch and a frame over the record limit are refused before anything is written", async () => {
    const { log } = open({ maxRecordBytes: 200 });
    await expect(log.appendFrames(new FrameBatchBuilder(16, 1).finish())).rejects.toThrow("at least one record");
    const big: RecordInput = { key: null, value: new Uint8Array(300), headers: [], timestamp: 1 };
    await expect(log.appendFrames(framesOf([recordFor(1), big]))).rejects.toMatchObject({ code: "MESSAGE_TOO_LARGE" });
    expect(log.logEndOffset).toBe(0);
  });

  test("a bulk write torn by a crash is recovered to its last whole record, like any torn write", async () => {
    const { log, dir } = open();
    await log.appendFrames(framesOf(range(0, 10).map(recordFor)));
    const batch = framesOf(range(10, 30).map(recordFor));
    await log.appendFrames(batch);
    await log.close();
    // The power went out 3 bytes into the frame of offset 25 of the bulk write.
    const file = join(dir, segmentFileName(0));
    const before = statSync(file).size - batch.frames.length;
    truncateSync(file, before + batch.starts[15] + 3);
    const warnings: string[] = [];
    const again = PartitionLog.open(dir, {}, (w) => warnings.push(w));
    cleanups.push(() => again.close());
    expect(again.logEndOffset).toBe(25);
    expect(warnings.some((w) => w.includes("torn tail"))).toBe(true);
    expect(again.read(0, 1000, 1 << 24)).toEqual(range(0, 25).map(expectedAt));
    // The index was reconciled: the next append continues at 25, and everything reads back.
    expect(await again.appendFrames(framesOf([recordFor(25)]))).toEqual({ baseOffset: 25, lastOffset: 25 });
    expect(again.read(20, 1000, 1 << 24)).toEqual(range(20, 26).map(expectedAt));
  });
});
