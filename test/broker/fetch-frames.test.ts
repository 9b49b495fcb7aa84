import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";
import { recordFor } from "../storage/fixtures/records.ts";

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

async function open(maxMessageBytes?: number): Promise<Broker> {
  const root = mkdtempSync(join(tmpdir(), "streamnest-fetch-frames-"));
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

test("frames of a partition led here come with the log's range and count as consumed", async () => {
  const broker = await open();
  await broker.createTopic("t", 1);
  await broker.produceBatch("t", [recordFor(0), recordFor(1), recordFor(2)].map((r) => ({ ...r, partition: 0 })));
  const got = await broker.fetchFrames({ topic: "t", partition: 0, offset: 1, maxRecords: 10, maxBytes: 1 << 20 });
  expect([got.frames.firstOffset, got.frames.count, got.startOffset, got.endOffset]).toEqual([1, 2, 0, 3]);
  expect(broker.stats().consumed).toBe(2);
  // The budget in records and bytes, at least one record.
  expect((await broker.fetchFrames({ topic: "t", partition: 0, offset: 0, maxRecords: 1, maxBytes: 1 << 20 })).frames.count).toBe(1);
  expect((await broker.fetchFrames({ topic: "t", partition: 0, offset: 0, maxRecords: 10, maxBytes: 1 })).frames.count).toBe(1);
});

test("a fetch of frames of a partition never written is empty without making its folder; past its end is out of range", async () => {
  const broker = await open();
  await broker.createTopic("empty", 1);
  const got = await broker.fetchFrames({ topic: "empty", partition: 0, offset: 0, maxRecords: 10, maxBytes: 1000 });
  expect([got.frames.count, got.startOffset, got.endOffset]).toEqual([0, 0, 0]);
  await expect(broker.fetchFrames({ topic: "empty", partition: 0, offset: 3, maxRecords: 10, maxBytes: 1000 })).rejects.toMatchObject({ code: "OFFSET_OUT_OF_RANGE" });
});
