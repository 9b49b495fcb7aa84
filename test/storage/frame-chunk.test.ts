import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../../src/lib/errors.ts";
import { checkChunk, chunkOfRecords, type FrameChunk, sliceChunk } from "../../src/storage/frame-chunk.ts";
import { PartitionLog } from "../../src/storage/index.ts";
import { encodeRecords } from "../../src/storage/record-codec.ts";
import type { LogOptions } from "../../src/storage/types.ts";
import { expectedAt, recordFor, tempDir } from "./fixtures/records.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function folder(): string {
  const dir = tempDir("streamnest-frames-");
  cleanups.push(dir.remove);
  return join(dir.path, "demo-0");
}

function open(path: string, options: Partial<LogOptions> = {}): PartitionLog {
  const log = PartitionLog.open(path, { fsync: "never", ...options }, () => {});
  // close() again is a no-op: a test may close first.
  cleanups.push(() => log.close());
  return log;
}

/** The frames of recordFor(from) … recordFor(to - 1) at their offsets. */
function chunk(from: number, to: number): FrameChunk {
  return { bytes: encodeRecords(range(from, to).map(recordFor), from), firstOffset: from, count: to - from };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

async function codeOf(action: () => unknown): Promise<string> {
  try {
    await action();
  } catch (error) {
    if (error instanceof StreamNestError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return "no error";
}

describe("checkChunk", () => {
  test("gives each frame's length and timestamp", () => {
    const c = chunk(5, 8);
    const checked = checkChunk(c, 1 << 20);
    expect(Array.from(checked.timestamps)).toEqual([5, 6, 7].map((o) => recordFor(o).timestamp));
    expect(Array.from(checked.lengths).reduce((a, b) => a + b, 0)).toBe(c.bytes.byteLength);
    expect(checked.bytes).toBe(c.bytes);
  });

  test("refuses a flipped byte, a frame at another offset, bytes after the last frame, a count it does not hold, a frame too large", async () => {
    const flipped = chunk(0, 3);
    flipped.bytes[flipped.bytes.length - 2] ^= 0xff;
    const said = await codeOf(() => checkChunk(flipped, 1 << 20));
    expect(said).toStartWith("CORRUPT_RECORD: the frame of offset 2 in a chunk of frames is refused: CRC32C mismatch");
    expect(await codeOf(() => checkChunk({ ...chunk(0, 3), firstOffset: 1 }, 1 << 20))).toBe(
      "CORRUPT_RECORD: the frame of offset 1 in a chunk of frames is refused: it holds offset 0",
    );
    expect(await codeOf(() => checkChunk({ ...chunk(0, 3), count: 2 }, 1 << 20))).toStartWith(
      "CORRUPT_RECORD: the frame of offset 2 in a chunk of frames is refused: ",
    );
    expect(await codeOf(() => checkChunk({ ...chunk(0, 3), count: 4 }, 1 << 20))).toBe(
      "CORRUPT_RECORD: the frame of offset 3 in a chunk of frames is refused: the chunk ends inside it",
    );
    const first = chunk(0, 1);
    expect(await codeOf(() => checkChunk(first, first.bytes.byteLength - 1))).toBe(
      `MESSAGE_TOO_LARGE: record 0 takes ${first.bytes.byteLength} bytes encoded; the limit is ${first.bytes.byteLength - 1}`,
    );
  });

  test("with the CRCs checked by the sender, computes no CRC but checks everything else", async () => {
    // A payload byte changed: only a CRC tells, and the caller says the CRCs were checked.
    const flipped = chunk(0, 3);
    flipped.bytes[flipped.bytes.length - 2] ^= 0xff;
    expect(checkChunk(flipped, 1 << 20, true).lengths.length).toBe(3);
    expect(await codeOf(() => checkChunk({ ...chunk(0, 3), firstOffset: 1 }, 1 << 20, true))).toBe(
      "CORRUPT_RECORD: the frame of offset 1 in a chunk of frames is refused: it holds offset 0",
    );
    expect(await codeOf(() => checkChunk({ ...chunk(0, 3), count: 4 }, 1 << 20, true))).toBe(
      "CORRUPT_RECORD: the frame of offset 3 in a chunk of frames is refused: the chunk ends inside it",
    );
    const magic = chunk(0, 1);
    magic.bytes[8] = 0x7f;
    expect(await codeOf(() => checkChunk(magic, 1 << 20, true))).toBe(
      "CORRUPT_RECORD: the frame of offset 0 in a chunk of frames is refused: unknown magic 127",
    );
    const first = chunk(0, 1);
    expect(await codeOf(() => checkChunk(first, first.bytes.byteLength - 1, true))).toBe(
      `MESSAGE_TOO_LARGE: record 0 takes ${first.bytes.byteLength} bytes encoded; the limit is ${first.bytes.byteLength - 1}`,
    );
  });

  test("sliceChunk cuts at frame boundaries", () => {
    const c = chunk(10, 16);
    const middle = sliceChunk(c, 12, 15);
    expect(middle.firstOffset).toBe(12);
    expect(middle.count).toBe(3);
    expect(Buffer.compare(middle.bytes, chunk(12, 15).bytes)).toBe(0);
    expect(sliceChunk(c, 16, 16).count).toBe(0);
    expect(() => sliceChunk(c, 9, 12)).toThrow("not within");
  });
});

describe("PartitionLog frames", () => {
  test("appendFramesAt writes the chunk as it came, coalesced with appendAt, stamped with its epochs", async () => {
    const log = open(folder());
    const results = await Promise.all([log.appendFramesAt(chunk(0, 4), 1), log.appendAt(4, [recordFor(4)], 1), log.appendFramesAt(chunk(5, 9), 3)]);
    expect(results).toEqual([
      { baseOffset: 0, lastOffset: 3 },
      { baseOffset: 4, lastOffset: 4 },
      { baseOffset: 5, lastOffset: 8 },
    ]);
    expect(log.leaderEpochs).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 5 },
    ]);
    expect(log.read(0, Infinity, 1 << 20, { upTo: "log-end" })).toEqual(range(0, 9).map(expectedAt));
  });

  test("appendFramesAt with writeNow has written the chunk when it returns, and joins what was pending", async () => {
    const log = open(folder());
    const pending = log.appendAt(0, [recordFor(0)], 2);
    const now = log.appendFramesAt(chunk(1, 4), 2, { writeNow: true, crcsChecked: true });
    // Written within the call: the end moved before any turn of the event loop.
    expect(log.logEndOffset).toBe(4);
    expect(await Promise.all([pending, now])).toEqual([
      { baseOffset: 0, lastOffset: 0 },
      { baseOffset: 1, lastOffset: 3 },
    ]);
    expect(log.read(0, Infinity, 1 << 20, { upTo: "log-end" })).toEqual(range(0, 4).map(expectedAt));
    const later = log.appendFramesAt(chunk(4, 6));
    expect(log.logEndOffset).toBe(4);
    expect(await later).toEqual({ baseOffset: 4, lastOffset: 5 });
    expect(log.logEndOffset).toBe(6);
  });

  test("a chunk refused writes nothing and leaves the end where it was", async () => {
    const log = open(folder());
    await log.appendFramesAt(chunk(0, 2));
    expect(await codeOf(() => log.appendFramesAt(chunk(3, 5)))).toBe(
      "OFFSET_OUT_OF_RANGE: append at offset 3 refused: the log end offset is 2, and records are only appended there",
    );
    const bad = chunk(2, 4);
    bad.bytes[30] ^= 1;
    expect(await codeOf(() => log.appendFramesAt(bad, 7))).toStartWith("CORRUPT_RECORD: the frame of offset 2");
    expect(log.logEndOffset).toBe(2);
    expect(log.latestEpoch).toBeNull();
    await log.appendFramesAt(chunk(2, 4));
    expect(log.read(0, Infinity, 1 << 20, { upTo: "log-end" })).toEqual(range(0, 4).map(expectedAt));
  });

  test("frames spanning rolled segments are indexed where they landed, and read back after a reopen", async () => {
    const path = folder();
    const log = open(path, { segmentBytes: 600 });
    await log.appendFramesAt(chunk(0, 20));
    expect(log.segmentCount).toBeGreaterThan(2);
    await log.close();
    const again = open(path, { segmentBytes: 600 });
    expect(again.logEndOffset).toBe(20);
    expect(again.read(0, Infinity, 1 << 20, { upTo: "log-end" })).toEqual(range(0, 20).map(expectedAt));
  });

  test("readFrameChunk gives the log's bytes from memory and from the files alike, within the byte budget, up to the log end", async () => {
    const path = folder();
    const log = open(path, { highWatermark: "explicit" });
    await log.append(range(0, 6).map(recordFor));
    await log.append(range(6, 10).map(recordFor));
    const fromMemory = log.readFrameChunk(3, 1 << 20);
    expect({ first: fromMemory.firstOffset, count: fromMemory.count }).toEqual({ first: 3, count: 7 });
    expect(Buffer.compare(fromMemory.bytes, chunk(3, 10).bytes)).toBe(0);
    // The first frame even past the budget; then only whole frames within it.
    expect(log.readFrameChunk(3, 1).count).toBe(1);
    const budget = chunk(3, 6).bytes.byteLength;
    expect(log.readFrameChunk(3, budget).count).toBe(3);
    expect(log.readFrameChunk(10, 1 << 20).count).toBe(0);
    expect(await codeOf(() => log.readFrameChunk(11, 1 << 20))).toBe("OFFSET_OUT_OF_RANGE: offset 11 is outside the partition's range [0, 10]");
    await log.close();
    const again = open(path, { highWatermark: "explicit" });
    const fromFiles = again.readFrameChunk(3, 1 << 20);
    expect(fromFiles.count).toBe(7);
    expect(Buffer.compare(fromFiles.bytes, fromMemory.bytes)).toBe(0);
  });

  test("from the files, over rolled segments: the very bytes written, as one chunk, each frame checked", async () => {
    const path = folder();
    const log = open(path, { segmentBytes: 600, highWatermark: "explicit" });
    await log.appendFramesAt(chunk(0, 20));
    expect(log.segmentCount).toBeGreaterThan(2);
    await log.close();
    const again = open(path, { segmentBytes: 600, highWatermark: "explicit" });
    const fromFiles = again.readFrameChunk(2, 1 << 20);
    expect({ first: fromFiles.firstOffset, count: fromFiles.count }).toEqual({ first: 2, count: 18 });
    expect(Buffer.compare(fromFiles.bytes, chunk(2, 20).bytes)).toBe(0);
    await again.close();
    // A byte changed on disk (in the last frame of the first file) is never shipped to a
    // follower: a read stops before it, and a read from it is refused.
    const segment = join(path, "00000000000000000000.log");
    const bytes = readFileSync(segment);
    bytes[bytes.byteLength - 3] ^= 0xff;
    writeFileSync(segment, bytes);
    const damaged = open(path, { segmentBytes: 600, highWatermark: "explicit" });
    const before = damaged.readFrameChunk(0, 1 << 20);
    const last = before.firstOffset + before.count;
    expect(Buffer.compare(before.bytes, chunk(0, last).bytes)).toBe(0);
    expect(await codeOf(() => damaged.readFrameChunk(last, 1 << 20))).toStartWith(`CORRUPT_RECORD: corrupt record at offset ${last} of`);
    await damaged.close();
  });

  test("chunkOfRecords encodes records read back into the same frames", () => {
    const records = range(4, 9).map(expectedAt);
    const c = chunkOfRecords(records);
    expect({ first: c.firstOffset, count: c.count }).toEqual({ first: 4, count: 5 });
    expect(Buffer.compare(c.bytes, chunk(4, 9).bytes)).toBe(0);
  });
});
