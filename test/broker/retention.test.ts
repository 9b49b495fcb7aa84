import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { type BrokerConfig, brokerConfig } from "../../src/broker/config.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";
import { listSegmentBases } from "../../src/storage/segment.ts";
import { until } from "../helpers/until.ts";
import { recs } from "./records.ts";

let root: string;
const open: Broker[] = [];
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "streamnest-retention-"));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  rmSync(root, { recursive: true, force: true });
});

function start(overrides: Partial<BrokerConfig> = {}): { broker: Broker; warnings: string[] } {
  const warnings: string[] = [];
  const broker = Broker.open(brokerConfig({ id: 1, dataDir: join(root, "b1"), port: 7001, ...overrides }), {
    metrics: new BrokerMetrics({ defaultMetrics: false }),
    warn: (m) => warnings.push(m),
  });
  open.push(broker);
  return { broker, warnings };
}

/** 200 records of ~60 bytes to one partition: many 1 KiB segments. */
async function fill(broker: Broker, topic: string, partition: number): Promise<void> {
  for (let i = 0; i < 200; i += 20)
    await broker.produceBatch(topic, recs(Array.from({ length: 20 }, (_, k) => ({ message: `m${i + k} ${"x".repeat(40)}`, partition }))));
}

const startOffsets = (broker: Broker, topic: string): number[] => broker.describeTopic(topic).partitions.map((p) => p.startOffset ?? -1);

describe("Retention", () => {
  test("a byte budget deletes old segments of logs not open, and of open ones, on its interval", async () => {
    const { broker: writer } = start({ log: { segmentBytes: 1024 } });
    await writer.createTopic("r", 2);
    await fill(writer, "r", 0);
    await fill(writer, "r", 1);
    await writer.close();
    open.splice(0);
    const segmentsBefore = listSegmentBases(join(root, "b1", "r-0")).length;
    expect(segmentsBefore).toBeGreaterThan(5);
    // Restarted with a budget: no log is open, so the pass opens each in turn for it.
    const { broker, warnings } = start({ log: { segmentBytes: 1024, retentionBytes: 2048 }, retentionCheckMs: 20, maxOpenPartitions: 1 });
    await until("retention on both partitions", async () => startOffsets(broker, "r"), (starts) => starts.every((s) => s > 0), 20_000);
    const segmentsAfter = listSegmentBases(join(root, "b1", "r-0")).length;
    // Within the budget: the active segment plus whatever rolled ones fit in 2 KiB.
    expect(segmentsAfter).toBeLessThanOrEqual(4);
    // What is kept reads back, from the new start to the end.
    const first = startOffsets(broker, "r")[0];
    const { records } = await broker.fetch({ topic: "r", partition: 0, offset: first, maxRecords: 1000 });
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 200 - first }, (_, i) => first + i));
    // An open log is trimmed too as it grows.
    await fill(broker, "r", 1);
    await until("retention as partition 1 grows", async () => listSegmentBases(join(root, "b1", "r-1")).length, (n) => n <= 4, 20_000);
    expect(startOffsets(broker, "r")[1]).toBeGreaterThan(300);
    expect(warnings).toEqual([]);
  });

  test("without a retention limit nothing is deleted", async () => {
    const { broker } = start({ log: { segmentBytes: 1024 }, retentionCheckMs: 10 });
    await broker.createTopic("k", 1);
    await fill(broker, "k", 0);
    // Absence can only be shown by waiting: many intervals' worth.
    await Bun.sleep(200);
    expect(startOffsets(broker, "k")).toEqual([0]);
    expect(listSegmentBases(join(root, "b1", "k-0"))[0]).toBe(0);
  });

  test("stopping (closing the broker) waits for a pass and leaves the logs whole", async () => {
    const { broker } = start({ log: { segmentBytes: 1024, retentionMs: 0 }, retentionCheckMs: 5 });
    await broker.createTopic("z", 1);
    await fill(broker, "z", 0);
    await until("a pass", async () => startOffsets(broker, "z")[0], (s) => s > 0, 20_000);
    await broker.close();
    open.splice(0);
    const { broker: again } = start({ log: { segmentBytes: 1024 } });
    const [startOffset] = startOffsets(again, "z");
    expect(startOffset).toBeGreaterThan(0);
    const { records } = await again.fetch({ topic: "z", partition: 0, offset: startOffset, maxRecords: 1000 });
    expect(records.at(-1)?.offset).toBe(199);
  });
});
