import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../../src/lib/errors.ts";
import { PartitionLog } from "../../src/storage/index.ts";
import { LEADER_EPOCH_FILE } from "../../src/storage/leader-epoch-cache.ts";
import type { LogOptions } from "../../src/storage/types.ts";
import { recordFor, tempDir } from "./fixtures/records.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function folder(): string {
  const dir = tempDir("streamnest-epochs-");
  cleanups.push(dir.remove);
  return join(dir.path, "demo-0");
}

function open(path: string, options: Partial<LogOptions> = {}): PartitionLog {
  const log = PartitionLog.open(path, { fsync: "never", ...options }, () => {});
  cleanups.push(() => log.close());
  return log;
}

async function fill(log: PartitionLog, from: number, to: number): Promise<void> {
  await log.append(Array.from({ length: to - from }, (_, i) => recordFor(from + i)));
}

async function codeOf(action: () => unknown): Promise<string> {
  try {
    await action();
  } catch (error) {
    if (error instanceof StreamNestError) return error.code;
    throw error;
  }
  return "no error";
}

/** Epochs 1 at 0, 3 at 10, 4 at 25; log end 30. */
async function threeEpochs(path: string): Promise<PartitionLog> {
  const log = open(path);
  expect(log.assignEpoch(1, 0)).toBe(true);
  await fill(log, 0, 10);
  expect(log.assignEpoch(3, 10)).toBe(true);
  await fill(log, 10, 25);
  expect(log.assignEpoch(4, 25)).toBe(true);
  await fill(log, 25, 30);
  return log;
}

describe("leader epochs of a partition log", () => {
  test("a new log has none", () => {
    const log = open(folder());
    expect(log.leaderEpochs).toEqual([]);
    expect(log.latestEpoch).toBeNull();
    expect(log.epochForOffset(0)).toBeNull();
    expect(log.endOffsetForEpoch(0)).toBeNull();
  });

  test("epochForOffset answers the epoch each offset was written in", async () => {
    const log = await threeEpochs(folder());
    expect(log.leaderEpochs).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
      { epoch: 4, startOffset: 25 },
    ]);
    expect(log.latestEpoch).toBe(4);
    expect([0, 9, 10, 24, 25, 29, 30].map((o) => log.epochForOffset(o))).toEqual([1, 1, 3, 3, 4, 4, 4]);
  });

  test("endOffsetForEpoch follows Kafka's OffsetsForLeaderEpoch", async () => {
    const log = await threeEpochs(folder());
    // The latest epoch ends at the log end offset.
    expect(log.endOffsetForEpoch(4)).toEqual({ epoch: 4, endOffset: 30 });
    // A known epoch ends where the next one starts.
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 3, endOffset: 25 });
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 10 });
    // An epoch this log never saw: the largest one below it, ending where the next starts.
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 1, endOffset: 10 });
    // Below the first epoch: the requested epoch, ending where the first starts.
    expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, endOffset: 0 });
    // Above the latest: undefined.
    expect(log.endOffsetForEpoch(5)).toBeNull();
  });

  test("assignEpoch: only at the log end, the latest again is a no-op, an older one is refused", async () => {
    const log = await threeEpochs(folder());
    expect(await codeOf(() => log.assignEpoch(5, 29))).toBe("OFFSET_OUT_OF_RANGE");
    expect(await codeOf(() => log.assignEpoch(5, 31))).toBe("OFFSET_OUT_OF_RANGE");
    expect(await codeOf(() => log.assignEpoch(3, 30))).toBe("INVALID_REQUEST");
    expect(await codeOf(() => log.assignEpoch(-1, 30))).toBe("INVALID_REQUEST");
    expect(log.assignEpoch(4, 30)).toBe(false);
    // Counting appends not yet written: the epoch begins after them.
    const pending = log.append([recordFor(30), recordFor(31)]);
    expect(await codeOf(() => log.assignEpoch(6, 30))).toBe("OFFSET_OUT_OF_RANGE");
    expect(log.assignEpoch(6, 32)).toBe(true);
    await pending;
    await fill(log, 32, 33);
    expect(log.epochForOffset(31)).toBe(4);
    expect(log.epochForOffset(32)).toBe(6);
  });

  test("appendAt stamps its batch with the leader epoch, coalesced in one turn", async () => {
    const log = open(folder());
    const results = await Promise.all([
      log.appendAt(0, [recordFor(0), recordFor(1)], 2),
      log.appendAt(2, [recordFor(2)], 2),
      log.appendAt(3, [recordFor(3), recordFor(4)], 5),
    ]);
    expect(results.map((r) => r.baseOffset)).toEqual([0, 2, 3]);
    expect(log.leaderEpochs).toEqual([
      { epoch: 2, startOffset: 0 },
      { epoch: 5, startOffset: 3 },
    ]);
    expect(await codeOf(() => log.appendAt(5, [recordFor(5)], 4))).toBe("INVALID_REQUEST");
    expect(log.logEndOffset).toBe(5);
  });

  test("the checkpoint is Kafka's layout, rewritten when an epoch begins, and read back on open", async () => {
    const path = folder();
    const log = await threeEpochs(path);
    expect(readFileSync(join(path, LEADER_EPOCH_FILE), "utf8")).toBe("0\n3\n1 0\n3 10\n4 25\n");
    await log.close();
    const again = open(path);
    expect(again.leaderEpochs).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
      { epoch: 4, startOffset: 25 },
    ]);
  });

  test("on open, epochs starting past the end (their records lost in a crash) are dropped", async () => {
    const path = folder();
    const log = await threeEpochs(path);
    await log.close();
    writeFileSync(join(path, LEADER_EPOCH_FILE), "0\n5\n1 0\n3 10\n4 25\n6 30\n7 41\n");
    const again = open(path);
    expect(again.leaderEpochs.map((e) => e.epoch)).toEqual([1, 3, 4, 6]);
    expect(readFileSync(join(path, LEADER_EPOCH_FILE), "utf8")).toBe("0\n4\n1 0\n3 10\n4 25\n6 30\n");
  });

  test("a checkpoint whose entries do not ascend refuses the open", async () => {
    const path = folder();
    const log = open(path);
    await log.close();
    writeFileSync(join(path, LEADER_EPOCH_FILE), "0\n2\n4 0\n3 10\n");
    expect(await codeOf(() => PartitionLog.open(path, {}, () => {}))).toBe("STORAGE_ERROR");
  });

  test("retention moves the first kept epoch up to the new log start", async () => {
    const path = folder();
    const log = open(path, { segmentBytes: 700, retentionBytes: 1 });
    log.assignEpoch(1, 0);
    for (let o = 0; o < 10; o++) await fill(log, o, o + 1);
    log.assignEpoch(2, 10);
    for (let o = 10; o < 60; o++) await fill(log, o, o + 1);
    expect(log.enforceRetention()).toBeGreaterThan(0);
    const start = log.startOffset;
    expect(start).toBeGreaterThan(10);
    expect(log.leaderEpochs).toEqual([{ epoch: 2, startOffset: start }]);
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: start });
    // A crash between the segment deletion and the checkpoint rewrite: the open finishes it.
    await log.close();
    writeFileSync(join(path, LEADER_EPOCH_FILE), "0\n2\n1 0\n2 10\n");
    const again = open(path);
    expect(again.leaderEpochs).toEqual([{ epoch: 2, startOffset: start }]);
  });

  test("an epoch assigned for appends that then fail is dropped, so a retry can assign it at the real end", async () => {
    const log = open(folder());
    await fill(log, 0, 10);
    // Something outside the log deletes its active segment: the next group is refused whole.
    rmSync(join(log.dir, "00000000000000000000.log"));
    const outcomes = await Promise.allSettled([
      log.appendAt(10, [recordFor(10), recordFor(11)], 3),
      log.appendAt(12, [recordFor(12)], 4),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    expect(log.logEndOffset).toBe(10);
    // Epoch 3 at the end is an epoch without records yet (harmless); epoch 4 began past it.
    expect(log.leaderEpochs).toEqual([{ epoch: 3, startOffset: 10 }]);
    expect(readFileSync(join(log.dir, LEADER_EPOCH_FILE), "utf8")).toBe("0\n1\n3 10\n");
  });
});
