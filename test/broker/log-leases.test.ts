import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { type BrokerConfig, brokerConfig } from "../../src/broker/config.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";
import type { StoredRecord } from "../../src/storage/types.ts";
import { rec, recs } from "./records.ts";

/**
 * The broker keeps at most --max-open-partitions idle partition logs open: everything
 * written stays readable, describe and metrics still see closed partitions, and a log in
 * use (a tail, a long poll) is never closed under its user.
 */

const text = new TextDecoder();
let root: string;
const open: Broker[] = [];
let warnings: string[];
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "streamnest-broker-open-"));
  warnings = [];
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  rmSync(root, { recursive: true, force: true });
});

function start(overrides: Partial<BrokerConfig> = {}): Broker {
  const broker = Broker.open(brokerConfig({ id: 1, dataDir: join(root, "b1"), port: 7001, ...overrides }), {
    metrics: new BrokerMetrics({ defaultMetrics: false }),
    warn: (m) => warnings.push(m),
  });
  open.push(broker);
  return broker;
}

async function stop(broker: Broker): Promise<void> {
  open.splice(open.indexOf(broker), 1);
  await broker.close();
}

/** Open files of this process that are a partition log's (segments, index, WAL) under `root`. */
function openLogFiles(): number {
  let count = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(root)) count++;
    } catch {
      // Closed between the listing and the look.
    }
  }
  return count;
}

async function values(broker: Broker, topic: string, partition: number): Promise<string[]> {
  const { records } = await broker.fetch({ topic, partition, offset: 0, maxRecords: 1000 });
  return records.map((r) => text.decode(r.value!));
}

describe("a broker with more partitions written than --max-open-partitions", () => {
  test("every partition reads back, describe and metrics see them all, and few log files stay open", async () => {
    // fsync "always": a log evicted has nothing left to flush and closes on the spot, so
    // the count of open files is exact at every step.
    const broker = start({ maxOpenPartitions: 4, log: { fsync: "always" } });
    await broker.createTopic("many", 60);
    for (let p = 0; p < 60; p++) {
      expect(await broker.produce("many", rec({ message: `first-${p}`, partition: p }))).toEqual({ partition: p, offset: 0 });
      expect(await broker.produce("many", rec({ message: `second-${p}`, partition: p }))).toEqual({ partition: p, offset: 1 });
    }
    if (process.platform === "linux") expect(openLogFiles()).toBeLessThanOrEqual(4 * 3);
    for (let p = 0; p < 60; p++) expect(await values(broker, "many", p)).toEqual([`first-${p}`, `second-${p}`]);
    const described = broker.describeTopic("many").partitions;
    expect(described.map((d) => [d.startOffset, d.endOffset])).toEqual(Array.from({ length: 60 }, () => [0, 2]));
    const metrics = await broker.metrics.registry.getSingleMetricAsString("streamnest_partition_end_offset");
    for (let p = 0; p < 60; p++) expect(metrics).toContain(`streamnest_partition_end_offset{topic="many",partition="${p}"} 2`);
    if (process.platform === "linux") expect(openLogFiles()).toBeLessThanOrEqual(4 * 3);
    expect(warnings).toEqual([]);
  });

  test("a live tail keeps its log open while others come and go, and sees what is appended later", async () => {
    const broker = start({ maxOpenPartitions: 2 });
    await broker.createTopic("t", 30);
    await broker.produce("t", rec({ message: "old", partition: 0 }));
    const tail = await broker.tail({ topic: "t", partition: 0, offset: 0, signal: new AbortController().signal });
    const iterator = tail.records[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.map((r: StoredRecord) => text.decode(r.value!))).toEqual(["old"]);
    const next = iterator.next();
    for (let p = 1; p < 30; p++) await broker.produce("t", rec({ message: `m${p}`, partition: p }));
    await broker.produce("t", rec({ message: "new", partition: 0 }));
    const batch = await next;
    expect(batch.value?.map((r: StoredRecord) => [r.offset, text.decode(r.value!)])).toEqual([[1, "new"]]);
    tail.close();
    for (let p = 1; p < 30; p++) expect(await values(broker, "t", p)).toEqual([`m${p}`]);
  });

  test("a long poll keeps its log open while others come and go, and is answered by the append it waits for", async () => {
    const broker = start({ maxOpenPartitions: 2 });
    await broker.createTopic("t", 30);
    const polling = broker.fetch({ topic: "t", partition: 0, offset: 0, timeoutMs: 300_000 });
    for (let p = 1; p < 30; p++) await broker.produce("t", rec({ message: `m${p}`, partition: p }));
    await broker.produce("t", rec({ message: "awaited", partition: 0 }));
    const result = await polling;
    expect(result.records.map((r) => [r.offset, text.decode(r.value!)])).toEqual([[0, "awaited"]]);
    expect(result.endOffset).toBe(1);
  });

  test("concurrent produces to many partitions all land, in order per partition", async () => {
    const broker = start({ maxOpenPartitions: 3, log: { fsync: "always" } });
    await broker.createTopic("c", 40);
    const acks = await Promise.all(
      Array.from({ length: 200 }, (_, i) => broker.produce("c", rec({ message: `m${i}`, partition: i % 40 }))),
    );
    expect(acks).toEqual(Array.from({ length: 200 }, (_, i) => ({ partition: i % 40, offset: Math.floor(i / 40) })));
    for (let p = 0; p < 40; p++) expect(await values(broker, "c", p)).toEqual([0, 1, 2, 3, 4].map((k) => `m${k * 40 + p}`));
  });

  test("one batch spread over more partitions than the limit is written in waves that stay within it", async () => {
    const broker = start({ maxOpenPartitions: 4, log: { fsync: "always" } });
    await broker.createTopic("b", 50);
    const outcomes = await broker.produceBatch(
      "b",
      recs(Array.from({ length: 100 }, (_, i) => ({ message: `m${i}` }))),
    );
    // Round-robin from partition 0 (broker id 1): message i lands on partition i % 50.
    expect(outcomes).toEqual(Array.from({ length: 100 }, (_, i) => ({ partition: i % 50, offset: Math.floor(i / 50) })));
    for (let p = 0; p < 50; p++) expect(await values(broker, "b", p)).toEqual([`m${p}`, `m${p + 50}`]);
    // Never more than the limit held at once, so never the warning that the set outgrew it.
    expect(warnings).toEqual([]);
    if (process.platform === "linux") expect(openLogFiles()).toBeLessThanOrEqual(4 * 3);
  });

  test("retention still runs for partitions whose logs are closed", async () => {
    const broker = start({
      maxOpenPartitions: 2,
      retentionCheckMs: 20,
      log: { segmentBytes: 1024, retentionBytes: 1024 },
    });
    await broker.createTopic("r", 6);
    const message = "x".repeat(400);
    for (let p = 0; p < 6; p++)
      await broker.produceBatch("r", recs(Array.from({ length: 10 }, () => ({ message, partition: p }))));
    // Each partition rolled several segments; retention keeps about the last 1 KiB.
    for (;;) {
      const starts = broker.describeTopic("r").partitions.map((d) => d.startOffset ?? 0);
      if (starts.every((s) => s > 0)) break;
      await Bun.sleep(20);
    }
    for (const d of broker.describeTopic("r").partitions) {
      expect(d.endOffset).toBe(10);
      expect(d.sizeBytes).toBeLessThanOrEqual(2048);
    }
    const start5 = broker.describeTopic("r").partitions[5].startOffset ?? 0;
    const { records } = await broker.fetch({ topic: "r", partition: 5, offset: start5, maxRecords: 100 });
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 10 - start5 }, (_, i) => start5 + i));
  });

  test("retention runs after a restart for partitions not opened since", async () => {
    const first = start({ maxOpenPartitions: 2, log: { segmentBytes: 1024 } });
    await first.createTopic("r", 4);
    const message = "x".repeat(400);
    for (let p = 0; p < 4; p++) await first.produceBatch("r", recs(Array.from({ length: 10 }, () => ({ message, partition: p }))));
    await stop(first);
    const segments = (p: number): number => readdirSync(join(root, "b1", `r-${p}`)).filter((f) => f.endsWith(".log")).length;
    expect([0, 1, 2, 3].map(segments)).toEqual([5, 5, 5, 5]);
    const second = start({ maxOpenPartitions: 2, retentionCheckMs: 20, log: { segmentBytes: 1024, retentionBytes: 1024 } });
    // Watched on disk: a describe would open the logs itself.
    while (![0, 1, 2, 3].every((p) => segments(p) <= 2)) await Bun.sleep(20);
    for (const d of second.describeTopic("r").partitions) expect(d.endOffset).toBe(10);
  });

  test("after a restart every partition is intact, including those closed before it", async () => {
    const first = start({ maxOpenPartitions: 3 });
    await first.createTopic("k", 25);
    for (let p = 0; p < 25; p++) await first.produce("k", rec({ message: `v${p}`, partition: p }));
    await stop(first);
    const second = start({ maxOpenPartitions: 3 });
    expect(second.describeTopic("k").partitions.map((d) => d.endOffset)).toEqual(Array.from({ length: 25 }, () => 1));
    for (let p = 0; p < 25; p++) expect(await values(second, "k", p)).toEqual([`v${p}`]);
    for (let p = 0; p < 25; p++) expect(await second.produce("k", rec({ message: `w${p}`, partition: p }))).toEqual({ partition: p, offset: 1 });
  });

  test("a topic deleted while its logs are closed, open or closing leaves no folder behind and can be created again", async () => {
    const broker = start({ maxOpenPartitions: 2 });
    await broker.createTopic("d", 10);
    for (let p = 0; p < 10; p++) await broker.produce("d", rec({ message: `v${p}`, partition: p }));
    await broker.deleteTopic("d");
    expect(readdirSync(join(root, "b1")).filter((f) => f.startsWith("d-"))).toEqual([]);
    await broker.createTopic("d", 10);
    for (let p = 0; p < 10; p++) expect(await values(broker, "d", p)).toEqual([]);
  });
});
