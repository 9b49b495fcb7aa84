import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { readShared } from "../../src/broker/shared-tail-reads.ts";
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

test("only the last few batches of a log are kept", async () => {
  const log = open();
  await log.append(Array.from({ length: 10 }, (_, i) => recordFor(i)));
  const oldest = readShared(log, 0, 1, 1 << 20);
  for (let o = 1; o <= 4; o++) readShared(log, o, 1, 1 << 20);
  expect(readShared(log, 0, 1, 1 << 20)).not.toBe(oldest);
  expect(readShared(log, 4, 1, 1 << 20)).toBe(readShared(log, 4, 1, 1 << 20));
});
