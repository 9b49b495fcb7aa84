import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { CORE_LIMITS } from "../../src/config/core.ts";
import { PartitionLog } from "../../src/storage/partition-log.ts";
import { READ_SCRATCH, ReadScratch, scratchFor } from "../../src/storage/read-scratch.ts";
import type { RecordInput } from "../../src/storage/types.ts";
import { expectedAt, recordFor, tempDir } from "./fixtures/records.ts";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** recordFor(offset), but the record at `big` holds a value larger than the scratch buffer. */
function recordAt(offset: number, big: number): RecordInput {
  if (offset !== big) return recordFor(offset);
  const value = new Uint8Array(CORE_LIMITS.readScratchBytes.value + 5000).map((_, i) => (i * 31 + 7) & 0xff);
  return { ...recordFor(offset), value };
}

/** A log of `count` records, closed and opened again so that reads go to the files (its tail cache starts empty). */
async function reopenedLog(count: number, big: number): Promise<PartitionLog> {
  const d = tempDir("streamnest-read-scratch-");
  const dir = join(d.path, "p-0");
  const first = PartitionLog.open(dir, { fsync: "never", segmentBytes: 16 * 1024 }, () => {});
  for (let o = 0; o < count; o += 50) await first.append(Array.from({ length: Math.min(50, count - o) }, (_, i) => recordAt(o + i, big)));
  await first.close();
  const log = PartitionLog.open(dir, { fsync: "never", segmentBytes: 16 * 1024 }, () => {});
  cleanups.push(d.remove, () => log.close());
  return log;
}

describe("ReadScratch", () => {
  test("gives the start of its buffer up to its size, and a buffer of its own past it", () => {
    const scratch = new ReadScratch(64);
    const small = scratch.memory(40);
    expect([small.length, small.byteOffset, scratch.holds(small)]).toEqual([40, 0, true]);
    const large = scratch.memory(65);
    expect([large.length, scratch.holds(large)]).toEqual([65, false]);
    expect(scratch.view.byteLength).toBe(64);
  });

  test("reads of a few records go through it, reads of more do not", () => {
    const most = CORE_LIMITS.readScratchRecords.value;
    expect([scratchFor(1), scratchFor(most), scratchFor(most + 1)]).toEqual([READ_SCRATCH, READ_SCRATCH, undefined]);
  });
});

describe("PartitionLog reads through the reused buffer", () => {
  test("a record read alone keeps its bytes after the reads that follow reuse the buffer", async () => {
    const count = 400;
    const big = 123;
    const log = await reopenedLog(count, big);
    // Every record read alone, in an order that jumps across segments, all kept: had a
    // record pointed into the reused buffer, the reads after it would have changed it.
    const order = Array.from({ length: count }, (_, i) => (i * 97) % count);
    const kept = order.map((o) => log.read(o, 1, 1 << 20));
    order.forEach((o, i) => expect(kept[i]).toEqual([{ ...recordAt(o, big), offset: o }]));
    // The large one did not fit the buffer: read into one of its own, and whole.
    expect(kept[order.indexOf(big)][0].value?.length).toBe(CORE_LIMITS.readScratchBytes.value + 5000);
  });

  test("reads of a few and of many records give the same records", async () => {
    const count = 300;
    const log = await reopenedLog(count, -1);
    const most = CORE_LIMITS.readScratchRecords.value;
    for (const from of [0, 7, 150, 290]) {
      const few = log.read(from, most, 1 << 20);
      const many = log.read(from, most + 1, 1 << 20);
      const expected = Array.from({ length: Math.min(most + 1, count - from) }, (_, i) => expectedAt(from + i));
      expect(many).toEqual(expected);
      expect(few).toEqual(expected.slice(0, most));
    }
    // The few, read first and kept, are still whole after the many reused the buffer.
    const kept = log.read(40, most, 1 << 20);
    log.read(200, most, 1 << 20);
    expect(kept).toEqual(Array.from({ length: most }, (_, i) => expectedAt(40 + i)));
  });
});
