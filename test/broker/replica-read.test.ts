import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";

let root: string;
let broker: Broker;
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "streamnest-replica-read-"));
  broker = Broker.open(brokerConfig({ id: 1, dataDir: root, port: 7001 }), { metrics: new BrokerMetrics({ defaultMetrics: false }), warn: () => {} });
  await broker.createTopic("t", 2);
  for (const m of ["a", "b", "c"]) await broker.produce("t", { key: null, value: new TextEncoder().encode(m), headers: [], partition: 0 });
});
afterAll(async () => {
  await broker.close();
  rmSync(root, { recursive: true, force: true });
});

async function failure(run: () => Promise<unknown>): Promise<[string, string]> {
  try {
    await run();
  } catch (error) {
    if (error instanceof StreamNestError) return [error.code, error.message];
    throw error;
  }
  return ["no error", ""];
}

test("this broker's copy from an offset, with its log end, high watermark and placement", async () => {
  const copy = await broker.readReplica("t", 0, 1, 10, 1 << 20);
  expect(copy.records.map((r) => [r.offset, text(r.value!)])).toEqual([
    [1, "b"],
    [2, "c"],
  ]);
  expect({ ...copy, records: copy.records.length }).toEqual({
    records: 2,
    startOffset: 0,
    logEndOffset: 3,
    highWatermark: 3,
    leader: 1,
    leaderEpoch: 0,
    replicas: [1],
    isr: [1],
  });
  expect((await broker.readReplica("t", 0, 0, 2, 1 << 20)).records.map((r) => r.offset)).toEqual([0, 1]);
  expect((await broker.readReplica("t", 0, 3, 10, 1 << 20)).records).toEqual([]);
});

test("a partition never written reads as an empty log without creating its folder; offsets outside the log are refused", async () => {
  expect(await broker.readReplica("t", 1, 0, 10, 1 << 20)).toMatchObject({ records: [], logEndOffset: 0, highWatermark: 0 });
  expect(existsSync(join(root, "t-1"))).toBe(false);
  expect(await failure(() => broker.readReplica("t", 1, 1, 10, 1 << 20))).toEqual(["OFFSET_OUT_OF_RANGE", "offset 1 is outside the partition's range [0, 0]"]);
  expect(await failure(() => broker.readReplica("t", 0, 4, 10, 1 << 20))).toEqual(["OFFSET_OUT_OF_RANGE", "offset 4 is outside the partition's range [0, 3]"]);
  expect(await failure(() => broker.readReplica("t", 0, -1, 10, 1 << 20))).toEqual(["INVALID_OFFSET", "offset must be a non-negative integer, got -1"]);
  expect((await failure(() => broker.readReplica("t", 2, 0, 10, 1 << 20)))[0]).toBe("PARTITION_OUT_OF_RANGE");
  expect((await failure(() => broker.readReplica("nope", 0, 0, 10, 1 << 20)))[0]).toBe("TOPIC_NOT_FOUND");
});
