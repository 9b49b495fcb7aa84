import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { readShared, sharedTailBytes } from "../../src/broker/shared-tail-reads.ts";
import { CORE_LIMITS } from "../../src/config/core.ts";
import { PartitionLog } from "../../src/storage/index.ts";
import { recordFor, tempDir } from "../storage/fixtures/records.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function open(): PartitionLog {
  const dir = tempDir("streamnest-shared-reads-");
  cleanups.push(dir.remove);
  const log = PartitionLog.open(join(dir.path, "demo-0"), { fsync: "never" });
  cleanups.push(() => log.close());
  return log;
}

test("tails at the same offset get the same batch array; another offset reads its own", async () => {
  const log = open();
  await log.append(Array.from({ length: 10 }, (_, i) => recordFor(i)));
  const first = readShared(log, 3, 100, 1 << 20);
  expect(first.map((r) => r.offset)).toEqual([3, 4, 5, 6, 7, 8, 9]);
  expect(readShared(log, 3, 100, 1 << 20)).toBe(first);
  const other = readShared(log, 4, 100, 1 << 20);
  expect(other).not.toBe(first);
  expect(other.map((r) => r.offset)).toEqual([4, 5, 6, 7, 8, 9]);
  // At the end: nothing, and nothing kept.
  expect(readShared(log, 10, 100, 1 << 20)).toEqual([]);
});

test("a truncated log is read again, never served from a batch it no longer holds", async () => {
  const log = open();
  await log.append(Array.from({ length: 10 }, (_, i) => recordFor(i)));
  const before = readShared(log, 5, 100, 1 << 20);
  expect(before.map((r) => r.offset)).toEqual([5, 6, 7, 8, 9]);
  log.truncateTo(8);
  const after = readShared(log, 5, 100, 1 << 20);
  expect(after).not.toBe(before);
  expect(after.map((r) => r.offset)).toEqual([5, 6, 7]);
});

// Found by a tester: 300 tails started at offset 0 of 10 records of 900 KB drifted a few
// records apart, evicted each other's batches from a keep of 4 per log, and each read and
// encoded copies of its own: 2.9 GB resident.
test("tails a few batches apart keep sharing: every offset asked for again is the same array", async () => {
  const log = open();
  await log.append(Array.from({ length: 20 }, (_, i) => recordFor(i)));
  const first = Array.from({ length: 20 }, (_, o) => readShared(log, o, 1, 1 << 20));
  for (let round = 0; round < 3; round++) for (let o = 19; o >= 0; o--) expect(readShared(log, o, 1, 1 << 20)).toBe(first[o]);
});

test("kept up to CORE_LIMITS.tailSharedBytes across logs: past it, the least recently asked for is read again", async () => {
  const log = open();
  const big = new Uint8Array(1 << 20).fill(120);
  const count = Math.ceil(CORE_LIMITS.tailSharedBytes.value / big.byteLength) + 4;
  await log.append(Array.from({ length: count }, () => ({ key: null, value: big, headers: [], timestamp: 1 })));
  const oldest = readShared(log, 0, 1, 2 << 20);
  for (let o = 1; o < count; o++) readShared(log, o, 1, 2 << 20);
  expect(sharedTailBytes()).toBeLessThanOrEqual(CORE_LIMITS.tailSharedBytes.value);
  expect(readShared(log, 0, 1, 2 << 20)).not.toBe(oldest);
  const newest = readShared(log, count - 1, 1, 2 << 20);
  expect(readShared(log, count - 1, 1, 2 << 20)).toBe(newest);
});

test("a log truncated and written again in a new leader epoch is read again at those offsets", async () => {
  const log = open();
  await log.append(Array.from({ length: 10 }, (_, i) => recordFor(i)));
  const before = readShared(log, 5, 100, 1 << 20);
  log.truncateTo(5);
  log.assignEpoch(1, 5);
  await log.append(Array.from({ length: 5 }, () => ({ key: null, value: new TextEncoder().encode("new"), headers: [], timestamp: 1 })));
  const after = readShared(log, 5, 100, 1 << 20);
  expect(after).not.toBe(before);
  expect(after.map((r) => new TextDecoder().decode(r.value ?? new Uint8Array(0)))).toEqual(["new", "new", "new", "new", "new"]);
});
