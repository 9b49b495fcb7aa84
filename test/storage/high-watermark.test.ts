import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../../src/lib/errors.ts";
import { HIGH_WATERMARK_FILE } from "../../src/storage/high-watermark.ts";
import { PartitionLog } from "../../src/storage/index.ts";
import type { LogOptions } from "../../src/storage/types.ts";
import { expectedAt, recordFor, tempDir } from "./fixtures/records.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function folder(): string {
  const dir = tempDir("streamnest-hw-");
  cleanups.push(dir.remove);
  return join(dir.path, "demo-0");
}

function open(path: string, options: Partial<LogOptions> = {}, warnings: string[] = []): PartitionLog {
  const log = PartitionLog.open(path, { fsync: "never", ...options }, (m) => warnings.push(m));
  cleanups.push(() => log.close());
  return log;
}

async function fill(log: PartitionLog, from: number, to: number): Promise<void> {
  for (let o = from; o < to; o += 4) {
    await log.append(Array.from({ length: Math.min(4, to - o) }, (_, i) => recordFor(o + i)));
  }
}

const range = (from: number, to: number): ReturnType<typeof expectedAt>[] =>
  Array.from({ length: to - from }, (_, i) => expectedAt(from + i));

function checkpointValue(path: string): number | null {
  const file = join(path, HIGH_WATERMARK_FILE);
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, "utf8").trim().split("\n");
  expect(lines.slice(0, 2)).toEqual(["0", "1"]);
  return Number(lines[2]);
}

function codeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof StreamNestError) return error.code;
    throw error;
  }
  return "no error";
}

describe("log end offset and high watermark, log-end mode (one replica)", () => {
  test("the high watermark follows every append; endOffset is the log end offset", async () => {
    const log = open(folder());
    const seen: number[] = [];
    log.onHighWatermark((hw) => seen.push(hw));
    expect([log.logEndOffset, log.highWatermark, log.endOffset]).toEqual([0, 0, 0]);
    await fill(log, 0, 10);
    expect([log.logEndOffset, log.highWatermark, log.endOffset]).toEqual([10, 10, 10]);
    expect(log.read(0, 100, 1e9)).toEqual(range(0, 10));
    expect(seen).toEqual([4, 8, 10]);
    expect(log.highWatermarkMode).toBe("log-end");
  });

  test("nothing is written for the high watermark, and a reopen puts it at the end", async () => {
    const path = folder();
    const log = PartitionLog.open(path, { fsync: "never" });
    await fill(log, 0, 7);
    await log.close();
    expect(checkpointValue(path)).toBeNull();
    const again = open(path);
    expect(again.highWatermark).toBe(7);
  });
});

describe("log end offset and high watermark, explicit mode (replicated)", () => {
  test("appends move the log end offset only; consumer reads stop at the high watermark, follower reads at the end", async () => {
    const log = open(folder(), { highWatermark: "explicit" });
    await fill(log, 0, 12);
    expect(log.logEndOffset).toBe(12);
    expect(log.highWatermark).toBe(0);
    expect(log.read(0, 100, 1e9)).toEqual([]);
    expect(log.read(0, 100, 1e9, { upTo: "log-end" })).toEqual(range(0, 12));

    expect(log.setHighWatermark(5)).toBe(true);
    expect(log.read(0, 100, 1e9)).toEqual(range(0, 5));
    expect(log.read(0, 100, 1e9, { upTo: "high-watermark" })).toEqual(range(0, 5));
    expect(log.read(3, 100, 1e9)).toEqual(range(3, 5));
    // Between the high watermark and the end: nothing yet, not an error (as Kafka's fetch).
    expect(log.read(5, 100, 1e9)).toEqual([]);
    expect(log.read(11, 100, 1e9)).toEqual([]);
    expect(log.read(12, 100, 1e9)).toEqual([]);
    expect(codeOf(() => log.read(13, 100, 1e9))).toBe("OFFSET_OUT_OF_RANGE");
    expect(log.read(7, 2, 1e9, { upTo: "log-end" })).toEqual(range(7, 9));
  });

  test("the high watermark never moves backward and never passes the log end offset", async () => {
    const log = open(folder(), { highWatermark: "explicit" });
    const seen: number[] = [];
    log.onHighWatermark((hw) => seen.push(hw));
    await fill(log, 0, 10);
    expect(log.setHighWatermark(6)).toBe(true);
    expect(log.setHighWatermark(3)).toBe(false);
    expect(log.setHighWatermark(6)).toBe(false);
    expect(log.highWatermark).toBe(6);
    expect(codeOf(() => log.setHighWatermark(11))).toBe("OFFSET_OUT_OF_RANGE");
    expect(codeOf(() => log.setHighWatermark(-1))).toBe("INVALID_OFFSET");
    expect(codeOf(() => log.setHighWatermark(2.5))).toBe("INVALID_OFFSET");
    expect(log.highWatermark).toBe(6);
    expect(log.setHighWatermark(10)).toBe(true);
    expect(seen).toEqual([6, 10]);
  });

  test("a read that spans segments stops at the high watermark inside one", async () => {
    const log = open(folder(), { highWatermark: "explicit", segmentBytes: 700 });
    await fill(log, 0, 60);
    expect(log.segmentCount).toBeGreaterThan(4);
    log.setHighWatermark(37);
    expect(log.read(0, 1000, 1e9)).toEqual(range(0, 37));
    expect(log.read(0, 1000, 1e9, { upTo: "log-end" })).toEqual(range(0, 60));
  });

  test("switching modes: to log-end jumps to the end; to explicit keeps it and stops following", async () => {
    const log = open(folder(), { highWatermark: "explicit" });
    await fill(log, 0, 8);
    log.setHighWatermark(2);
    log.setHighWatermarkMode("log-end");
    expect(log.highWatermark).toBe(8);
    await fill(log, 8, 10);
    expect(log.highWatermark).toBe(10);
    log.setHighWatermarkMode("explicit");
    await fill(log, 10, 15);
    expect([log.highWatermark, log.logEndOffset]).toEqual([10, 15]);
    expect(checkpointValue(log.dir)).toBe(10);
  });

  test("retention never deletes a segment holding records above the high watermark", async () => {
    const log = open(folder(), { highWatermark: "explicit", segmentBytes: 700, retentionBytes: 1 });
    await fill(log, 0, 60);
    const segments = log.segmentCount;
    expect(log.enforceRetention()).toBe(0);
    log.setHighWatermark(30);
    const deleted = log.enforceRetention();
    expect(deleted).toBeGreaterThan(0);
    expect(log.segmentCount).toBe(segments - deleted);
    expect(log.startOffset).toBeLessThanOrEqual(30);
    expect(log.read(log.startOffset, 1000, 1e9)).toEqual(range(log.startOffset, 30));
  });
});

describe("high-watermark checkpoint", () => {
  test("explicit mode writes the file at open, lazily as it moves, and at close; a reopen reads it back", async () => {
    const path = folder();
    const log = PartitionLog.open(path, { fsync: "never", highWatermark: "explicit", highWatermarkCheckpointMs: 10 });
    expect(checkpointValue(path)).toBe(0);
    await fill(log, 0, 20);
    log.setHighWatermark(9);
    // Lazy: not written by the call itself.
    expect(checkpointValue(path)).toBe(0);
    // Written off the event loop within one interval (polled: the machine may be busy).
    for (let waited = 0; checkpointValue(path) !== 9 && waited < 5000; waited += 10) await Bun.sleep(10);
    expect(checkpointValue(path)).toBe(9);
    log.setHighWatermark(14);
    await log.close();
    expect(checkpointValue(path)).toBe(14);
    const again = open(path, { highWatermark: "explicit" });
    expect([again.highWatermark, again.logEndOffset]).toEqual([14, 20]);
    expect(again.read(0, 100, 1e9)).toEqual(range(0, 14));
  });

  test("checkpointHighWatermark and flush write it now", async () => {
    const path = folder();
    const log = open(path, { highWatermark: "explicit", highWatermarkCheckpointMs: 60_000 });
    await fill(log, 0, 5);
    log.setHighWatermark(3);
    await log.checkpointHighWatermark();
    expect(checkpointValue(path)).toBe(3);
    log.setHighWatermark(5);
    await log.flush();
    expect(checkpointValue(path)).toBe(5);
  });

  test("a checkpoint in flight when a truncation lowers the high watermark never lands over it", async () => {
    const path = folder();
    const log = open(path, { highWatermark: "explicit", highWatermarkCheckpointMs: 60_000 });
    await fill(log, 0, 12);
    log.setHighWatermark(9);
    const inFlight = log.checkpointHighWatermark();
    log.truncateTo(5);
    await inFlight;
    expect(log.highWatermark).toBe(5);
    expect(checkpointValue(path)).toBeLessThanOrEqual(5);
    await fill(log, 5, 12);
    await log.close();
    const again = open(path, { highWatermark: "explicit" });
    expect([again.highWatermark, again.logEndOffset]).toEqual([5, 12]);
  });

  test("a checkpoint past the recovered end is clamped to it and rewritten, so later appends stay uncommitted", async () => {
    const path = folder();
    const log = PartitionLog.open(path, { fsync: "never", highWatermark: "explicit" });
    await fill(log, 0, 10);
    await log.close();
    // As if the log had lost its unflushed tail in a power loss after the HW was saved.
    writeFileSync(join(path, HIGH_WATERMARK_FILE), "0\n1\n25\n");
    const warnings: string[] = [];
    const again = PartitionLog.open(path, { fsync: "never", highWatermark: "explicit" }, (m) => warnings.push(m));
    expect(again.highWatermark).toBe(10);
    expect(checkpointValue(path)).toBe(10);
    expect(warnings.some((w) => w.includes("past the log end"))).toBe(true);
    await fill(again, 10, 20);
    await again.close();
    const third = open(path, { highWatermark: "explicit" });
    expect([third.highWatermark, third.logEndOffset]).toEqual([10, 20]);
  });

  test("a log written in log-end mode (no file: every record committed) opens in explicit mode with the HW at its end", async () => {
    const path = folder();
    const log = PartitionLog.open(path, { fsync: "never" });
    await fill(log, 0, 6);
    await log.close();
    const again = open(path, { highWatermark: "explicit" });
    expect(again.highWatermark).toBe(6);
    expect(checkpointValue(path)).toBe(6);
    await fill(again, 6, 9);
    expect(again.highWatermark).toBe(6);
  });

  test("a damaged checkpoint refuses the open, naming the file", async () => {
    const path = folder();
    const log = PartitionLog.open(path, { fsync: "never", highWatermark: "explicit" });
    await log.close();
    writeFileSync(join(path, HIGH_WATERMARK_FILE), "0\n1\nfive\n");
    let message = "";
    try {
      PartitionLog.open(path, { fsync: "never", highWatermark: "explicit" });
    } catch (error) {
      message = error instanceof StreamNestError ? `${error.code}: ${error.message}` : String(error);
    }
    expect(message).toContain("STORAGE_ERROR");
    expect(message).toContain(HIGH_WATERMARK_FILE);
  });

  test("bad options are refused", () => {
    expect(codeOf(() => PartitionLog.open(folder(), { highWatermark: "sometimes" as "explicit" }))).toBe("INVALID_REQUEST");
    expect(codeOf(() => PartitionLog.open(folder(), { highWatermarkCheckpointMs: 0 }))).toBe("INVALID_REQUEST");
  });
});
