import { afterEach, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CORE_LIMITS } from "../../src/config/core.ts";
import { PartitionLog } from "../../src/storage/index.ts";
import { expectedAt, tempDir } from "./fixtures/records.ts";

const FIXTURE = join(import.meta.dir, "fixtures", "append-loop.ts");
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * Runs the child until it has acknowledged at least `minAcks` more batches, then kills it
 * with SIGKILL (after a random short pause, so the kill lands at varied points of the
 * append path). Returns the highest acknowledged offset it reported.
 */
async function runAndKill(dir: string, fsync: string, minAcks: number, pauseMs: number, previousMax: number, index = "sqlite"): Promise<number> {
  const child = Bun.spawn([process.execPath, FIXTURE, dir, fsync, index], { stdout: "pipe", stderr: "pipe" });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  let maxAcked = previousMax;
  let acks = 0;
  let killed = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      const [kind, n] = line.split(" ");
      if (kind === "start") expect(Number(n)).toBeGreaterThan(previousMax);
      if (kind === "ack") {
        maxAcked = Math.max(maxAcked, Number(n));
        acks++;
      }
    }
    if (!killed && acks >= minAcks) {
      killed = true;
      // The pipe keeps being drained after the kill, so no acknowledgement is missed.
      setTimeout(() => child.kill("SIGKILL"), pauseMs);
    }
  }
  await child.exited;
  expect(child.signalCode).toBe("SIGKILL");
  const stderr = await new Response(child.stderr).text();
  expect(stderr).not.toContain("offset mismatch");
  return maxAcked;
}

test("kill -9 at random moments never loses an acknowledged record", async () => {
  const tmp = tempDir("streamnest-crash-");
  cleanups.push(tmp.remove);
  const dir = join(tmp.path, "demo-0");
  const modes = ["never", "always", "interval", "never", "always"];
  let maxAcked = -1;
  for (let round = 0; round < modes.length; round++) {
    const minAcks = 20 + Math.floor(Math.random() * 400);
    const pauseMs = Math.floor(Math.random() * 15);
    maxAcked = await runAndKill(dir, modes[round], minAcks, pauseMs, maxAcked);
  }
  expect(maxAcked).toBeGreaterThan(100);

  const warnings: string[] = [];
  const log = PartitionLog.open(dir, { fsync: "never", segmentBytes: 64 * 1024 }, (m) => warnings.push(m));
  cleanups.push(() => log.close());
  expect(warnings.filter((w) => w.includes("corrupt") || w.includes("missing"))).toEqual([]);
  expect(log.startOffset).toBe(0);
  expect(log.endOffset).toBeGreaterThan(maxAcked);
  // Every record the log holds, acknowledged or not, is whole and where it belongs.
  let offset = 0;
  while (offset < log.endOffset) {
    const batch = log.read(offset, 500, 4 * 1024 * 1024);
    for (const record of batch) {
      expect(record).toEqual(expectedAt(offset));
      offset++;
    }
  }
  expect(offset).toBe(log.endOffset);
});

test("kill -9 while the offset index is still in memory (no index.sqlite), and after it moved to disk, never loses an acknowledged record", async () => {
  const tmp = tempDir("streamnest-crash-");
  cleanups.push(tmp.remove);
  const dir = join(tmp.path, "demo-0");
  // The first kills land while the log holds a few dozen records (index in memory only),
  // the later ones after it has outgrown that (index.sqlite made, then reconciled).
  const rounds = [
    { fsync: "never", minAcks: 2 },
    { fsync: "always", minAcks: 3 },
    { fsync: "interval", minAcks: 200 },
    { fsync: "never", minAcks: 300 },
  ];
  let maxAcked = -1;
  for (const round of rounds) {
    maxAcked = await runAndKill(dir, round.fsync, round.minAcks, Math.floor(Math.random() * 10), maxAcked, "defer");
  }
  expect(maxAcked).toBeGreaterThan(CORE_LIMITS.memoryIndexRecords.value);
  expect(existsSync(join(dir, "index.sqlite"))).toBe(true);

  const warnings: string[] = [];
  const log = PartitionLog.open(dir, { fsync: "never", segmentBytes: 64 * 1024, deferIndex: true }, (m) => warnings.push(m));
  cleanups.push(() => log.close());
  expect(warnings.filter((w) => w.includes("corrupt") || w.includes("missing"))).toEqual([]);
  expect(log.endOffset).toBeGreaterThan(maxAcked);
  let offset = 0;
  while (offset < log.endOffset) {
    const batch = log.read(offset, 500, 4 * 1024 * 1024);
    for (const record of batch) {
      expect(record).toEqual(expectedAt(offset));
      offset++;
    }
  }
  expect(offset).toBe(log.endOffset);
});
