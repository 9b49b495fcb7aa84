import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { highWatermarkPast, type HighWatermarkWait } from "../../src/broker/isr-waits.ts";
import { PartitionLog } from "../../src/storage/index.ts";
import { cleanupsAfterEach } from "../helpers/cleanups.ts";
import { recordFor, tempDir } from "../storage/fixtures/records.ts";

/**
 * The acks=all waits on one log (Kafka's produce purgatory), on a real log whose high
 * watermark is moved by hand as a leader's followers would move it.
 */

const cleanups = cleanupsAfterEach();

async function logWith(records: number): Promise<PartitionLog> {
  const dir = tempDir("streamnest-isr-waits-");
  cleanups.push(dir.remove);
  const log = PartitionLog.open(join(dir.path, "t-0"), { fsync: "never", highWatermark: "explicit" });
  cleanups.push(() => log.close());
  for (let o = 0; o < records; o++) await log.append([recordFor(o)]);
  return log;
}

/** The outcome of `promise` so far: true, false, or "waiting". */
async function outcome(promise: Promise<boolean>): Promise<boolean | "waiting"> {
  return Promise.race([promise, Bun.sleep(5).then(() => "waiting" as const)]);
}

function wait(lastOffset: number, overrides: Partial<HighWatermarkWait> = {}): HighWatermarkWait {
  return { lastOffset, holds: () => true, timeoutMs: 60_000, signals: [], ...overrides };
}

/** Listeners the log has for its high watermark now (one per log while any wait, none after). */
function hwListeners(log: PartitionLog): number {
  return (log as unknown as { hwListeners: Set<unknown> }).hwListeners.size;
}

describe("highWatermarkPast", () => {
  test("each wait ends true once the high watermark passes its last offset, not before; the log's listener goes with the last", async () => {
    const log = await logWith(6);
    const waits = [0, 2, 4, 5].map((o) => highWatermarkPast(log, wait(o)));
    expect(hwListeners(log)).toBe(1);
    log.setHighWatermark(1);
    expect(await outcome(waits[0])).toBe(true);
    expect(await Promise.all(waits.slice(1).map(outcome))).toEqual(["waiting", "waiting", "waiting"]);
    // Exactly at the last offset is not past it: that record is not yet on every replica.
    log.setHighWatermark(4);
    expect(await Promise.all(waits.map(outcome))).toEqual([true, true, "waiting", "waiting"]);
    log.setHighWatermark(6);
    expect(await Promise.all(waits.map(outcome))).toEqual([true, true, true, true]);
    expect(hwListeners(log)).toBe(0);
  });

  test("a wait already past answers at once, and one with an aborted signal ends false at once", async () => {
    const log = await logWith(3);
    log.setHighWatermark(2);
    expect(await outcome(highWatermarkPast(log, wait(1)))).toBe(true);
    const aborted = new AbortController();
    aborted.abort();
    expect(await outcome(highWatermarkPast(log, wait(2, { signals: [aborted.signal] })))).toBe(false);
    expect(hwListeners(log)).toBe(0);
  });

  test("an abort ends every wait on the log false; a wait begun after it waits again", async () => {
    const log = await logWith(4);
    const topic = new AbortController();
    const broker = new AbortController();
    const waits = [1, 3].map((o) => highWatermarkPast(log, wait(o, { signals: [broker.signal, topic.signal] })));
    topic.abort();
    expect(await Promise.all(waits.map(outcome))).toEqual([false, false]);
    expect(hwListeners(log)).toBe(0);
    const later = highWatermarkPast(log, wait(3, { signals: [broker.signal] }));
    expect(await outcome(later)).toBe("waiting");
    log.setHighWatermark(4);
    expect(await outcome(later)).toBe(true);
  });

  test("a wait whose leadership is gone, or whose time ran out, ends false within a check; the others keep waiting", async () => {
    const log = await logWith(4);
    let leading = true;
    const lost = highWatermarkPast(log, wait(1, { holds: () => leading }));
    const short = highWatermarkPast(log, wait(2, { timeoutMs: 20 }));
    const patient = highWatermarkPast(log, wait(3));
    const startedAt = performance.now();
    expect(await short).toBe(false);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(19);
    expect(await outcome(lost)).toBe("waiting");
    leading = false;
    expect(await lost).toBe(false);
    expect(await outcome(patient)).toBe("waiting");
    log.setHighWatermark(4);
    expect(await outcome(patient)).toBe(true);
  });

  test("waits on two logs are apart: one log's high watermark ends none of the other's", async () => {
    const [a, b] = [await logWith(2), await logWith(2)];
    const onA = highWatermarkPast(a, wait(1));
    const onB = highWatermarkPast(b, wait(1));
    a.setHighWatermark(2);
    expect(await outcome(onA)).toBe(true);
    expect(await outcome(onB)).toBe("waiting");
    b.setHighWatermark(2);
    expect(await outcome(onB)).toBe(true);
  });
});
