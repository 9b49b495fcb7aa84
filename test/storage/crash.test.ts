import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
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
async function runAndKill(dir: string, fsync: string, minAcks: number, pauseMs: number, previousMax: number): Promise<number> {
  const child = Bun.spawn([process.execPath, FIXTURE, dir, fsync], { stdout: "pipe", stderr: "pipe" });
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
