import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";
import { framesOf } from "../storage/fixtures/frames.ts";
import { expectedAt, recordFor } from "../storage/fixtures/records.ts";

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

async function open(maxMessageBytes?: number): Promise<Broker> {
  const root = mkdtempSync(join(tmpdir(), "streamnest-produce-frames-"));
  const broker = Broker.open(brokerConfig({ id: 1, dataDir: root, port: 7001, ...(maxMessageBytes ? { maxMessageBytes } : {}) }), {
    metrics: new BrokerMetrics({ defaultMetrics: false }),
    warn: () => {},
  });
  stop = async () => {
    await broker.close();
    rmSync(root, { recursive: true, force: true });
  };
  return broker;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

test("a frame batch is one append: its first offset back, the records readable, counted as produced", async () => {
  const broker = await open();
  await broker.createTopic("t", 2);
  const first = framesOf(range(0, 30).map(recordFor));
  expect(await broker.produceFrames("t", 1, first, "1")).toBe(0);
  expect(await broker.produceFrames("t", 1, framesOf(range(30, 35).map(recordFor)), "all")).toBe(30);
  const read = await broker.fetch({ topic: "t", partition: 1, offset: 0, maxRecords: 100 });
  expect(read.records).toEqual(range(0, 35).map(expectedAt));
  expect([broker.stats().produced, broker.stats().bytesIn]).toEqual([35, first.recordBytes + framesOf(range(30, 35).map(recordFor)).recordBytes]);
  const frames = await broker.fetchFrames({ topic: "t", partition: 1, offset: 10, maxRecords: 5, maxBytes: 1 << 20 });
  expect([frames.frames.firstOffset, frames.frames.count, frames.startOffset, frames.endOffset]).toEqual([10, 5, 0, 35]);
  expect(broker.stats().consumed).toBe(35 + 5);
});

test("records that need produce's own checks are refused here (a topic with a schema, one over the size limit), as are unknown topics and partitions", async () => {
  const broker = await open(1000);
  await broker.createTopic("plain", 1);
  await broker.createTopic("typed", 1);
  await broker.registerSchema("typed", { type: "object" });
  expect(broker.needsRecordChecks("plain", 1000)).toBe(false);
  expect(broker.needsRecordChecks("plain", 1001)).toBe(true);
  expect(broker.needsRecordChecks("typed", 1)).toBe(true);
  await expect(broker.produceFrames("typed", 0, framesOf([recordFor(1)]), "1")).rejects.toMatchObject({ code: "INVALID_REQUEST" });
  await expect(broker.produceFrames("missing", 0, framesOf([recordFor(1)]), "1")).rejects.toMatchObject({ code: "TOPIC_NOT_FOUND" });
  await expect(broker.produceFrames("plain", 3, framesOf([recordFor(1)]), "1")).rejects.toMatchObject({ code: "PARTITION_OUT_OF_RANGE" });
  expect(broker.describeTopic("typed").partitions[0].endOffset).toBe(0);
});
