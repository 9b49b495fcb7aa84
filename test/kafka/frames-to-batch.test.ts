import { afterEach, describe, expect, test } from "bun:test";
import { framesToBatch, planBatch } from "../../src/kafka/frames-to-batch.ts";
import { decodeRecordBatches } from "../../src/kafka/protocol/index.ts";
import { recordsToBatch } from "../../src/kafka/record-encoding.ts";
import { PartitionLog } from "../../src/storage/index.ts";
import { expectedAt, recordFor, tempDir } from "../storage/fixtures/records.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

async function logOf(count: number, options: Parameters<typeof PartitionLog.open>[1] = {}): Promise<PartitionLog> {
  const dir = tempDir();
  cleanups.push(() => dir.remove());
  const log = PartitionLog.open(dir.path, options, () => {});
  cleanups.push(() => log.close());
  for (let i = 0; i < count; i += 25) await log.append(range(i, Math.min(count, i + 25)).map(recordFor));
  // A far timestamp (a varlong delta beyond 32 bits) and a tombstone.
  await log.append([
    { key: null, value: new Uint8Array([1]), headers: [], timestamp: 1_700_000_000_000 + 2 ** 40 },
    { key: new Uint8Array([2]), value: null, headers: [{ key: "h", value: null }], timestamp: 5 },
  ]);
  return log;
}

describe("framesToBatch", () => {
  test("encodes the same bytes as the record encoder for the same records, across segments", async () => {
    const log = await logOf(150, { segmentBytes: 4096 });
    for (const [offset, max] of [[0, 1000], [40, 30], [149, 3]] as const) {
      const frames = log.readFrames(offset, max, 1 << 24);
      const { batch, count } = framesToBatch(frames, 1 << 30, true);
      expect(count).toBe(frames.count);
      expect([...batch]).toEqual([...recordsToBatch(log.read(offset, max, 1 << 24))]);
      // Frames whose read did not note their smallest timestamp are searched for it: the same bytes.
      const { minTimestamp, ...unnoted } = frames;
      expect(minTimestamp).toBeDefined();
      expect([...framesToBatch(unnoted, 1 << 30, true).batch]).toEqual([...batch]);
    }
    const all = decodeRecordBatches(framesToBatch(log.readFrames(0, 1000, 1 << 24), 1 << 30, true).batch)[0].records;
    expect(all.slice(0, 150).map((r) => [Number(r.offset), r.key, r.value, Number(r.timestamp)])).toEqual(
      range(0, 150).map((o) => [o, expectedAt(o).key, expectedAt(o).value, expectedAt(o).timestamp]),
    );
  });

  test("keeps the records that fit the budget; only a first answer may pass it, by one record", async () => {
    const log = await logOf(60);
    const frames = log.readFrames(0, 1000, 1 << 24);
    const whole = framesToBatch(frames, 1 << 30, true).batch.length;
    const prefix = (n: number) => recordsToBatch(log.read(0, n, 1 << 24)).length;
    const budget = prefix(20);
    const cut = framesToBatch(frames, budget, false);
    expect([cut.count, cut.batch.length]).toEqual([20, budget]);
    expect(framesToBatch(frames, budget - 1, false).count).toBe(19);
    expect(framesToBatch(frames, 10, false)).toEqual({ batch: new Uint8Array(0), count: 0 });
    const first = framesToBatch(frames, 10, true);
    expect([first.count, first.batch.length]).toEqual([1, prefix(1)]);
    expect(whole).toBe(prefix(62));
  });

  test("a planned batch says its size and writes the same bytes in place, at any position of a larger buffer", async () => {
    const log = await logOf(80, { segmentBytes: 4096 });
    const frames = log.readFrames(0, 1000, 1 << 24);
    const whole = framesToBatch(frames, 1 << 30, true);
    const plan = planBatch(frames, 1 << 30, true);
    expect([plan.count, plan.byteLength]).toEqual([whole.count, whole.batch.length]);
    const out = new Uint8Array(plan.byteLength + 10).fill(0xee);
    plan.writeTo(out, 7);
    expect([...out.subarray(7, 7 + plan.byteLength)]).toEqual([...whole.batch]);
    // Nothing around it is touched.
    expect([...out.subarray(0, 7), ...out.subarray(7 + plan.byteLength)]).toEqual(Array(10).fill(0xee));
    const cut = planBatch(frames, recordsToBatch(log.read(0, 9, 1 << 24)).length, false);
    expect(cut.count).toBe(9);
    const none = planBatch(frames, 10, false);
    expect([none.count, none.byteLength]).toEqual([0, 0]);
  });
});
