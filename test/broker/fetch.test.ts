import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import type { FetchQuery } from "../../src/broker/types.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";

let root: string;
let broker: Broker;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "streamnest-fetch-"));
  broker = Broker.open(brokerConfig({ id: 1, dataDir: root, port: 7001 }), { metrics: new BrokerMetrics({ defaultMetrics: false }), warn: () => {} });
  await broker.createTopic("t", 1);
  await broker.produce("t", { key: null, value: new TextEncoder().encode("a"), headers: [] });
});
afterAll(async () => {
  await broker.close();
  rmSync(root, { recursive: true, force: true });
});

async function failure(request: Partial<FetchQuery>): Promise<[string, string]> {
  try {
    await broker.fetch({ topic: "t", partition: 0, offset: 0, ...request });
  } catch (error) {
    if (error instanceof StreamNestError) return [error.code, error.message];
    throw error;
  }
  return ["no error", ""];
}

test("the core asserts a fetch's bounds in its own words, naming no request field", async () => {
  expect(await failure({ offset: -1 })).toEqual(["INVALID_OFFSET", "offset must be a non-negative integer, got -1"]);
  expect(await failure({ partition: 0.5 })).toEqual(["INVALID_REQUEST", "partition must be an integer"]);
  expect(await failure({ maxRecords: 0 })).toEqual(["INVALID_REQUEST", "the most records of a fetch must be an integer from 1 to 10000, got 0"]);
  expect(await failure({ maxBytes: 1.5 })).toEqual(["INVALID_REQUEST", "the most bytes of a fetch must be an integer from 1 to 67108864, got 1.5"]);
  expect(await failure({ timeoutMs: -1 })).toEqual(["INVALID_REQUEST", "the wait of a fetch must be an integer from 0 to 300000, got -1"]);
});

test("past the end is OFFSET_OUT_OF_RANGE with the range (an adapter decides what that means to its client)", async () => {
  expect(await failure({ offset: 2 })).toEqual(["OFFSET_OUT_OF_RANGE", "offset 2 is outside the partition's range [0, 1]"]);
});

test("a peek reads without counting the records as consumed", async () => {
  const consumed = async (): Promise<number> => (await broker.metrics.messagesConsumed.get()).values[0]?.value ?? 0;
  await broker.metrics.text();
  const before = await consumed();
  expect((await broker.fetch({ topic: "t", partition: 0, offset: 0, peek: true })).records).toHaveLength(1);
  await broker.metrics.text();
  expect(await consumed()).toBe(before);
  expect((await broker.fetch({ topic: "t", partition: 0, offset: 0 })).records).toHaveLength(1);
  await broker.metrics.text();
  expect(await consumed()).toBe(before + 1);
});

function nowFailure(request: Partial<FetchQuery>): [string, string] {
  try {
    broker.fetchNow({ topic: "t", partition: 0, offset: 0, ...request });
  } catch (error) {
    if (error instanceof StreamNestError) return [error.code, error.message];
    throw error;
  }
  return ["no error", ""];
}

test("fetchNow answers a read that needs no wait as fetch does, throws what fetch rejects with, and leaves the rest to fetch", async () => {
  // The log was written above, so it is open: the read is made in this step.
  const now = broker.fetchNow({ topic: "t", partition: 0, offset: 0, maxRecords: 1, peek: true });
  expect(now).toEqual(await broker.fetch({ topic: "t", partition: 0, offset: 0, maxRecords: 1, peek: true }));
  expect(now?.records.map((r) => new TextDecoder().decode(r.value ?? new Uint8Array()))).toEqual(["a"]);
  for (const request of [{ offset: -1 }, { offset: 5 }, { partition: 3 }, { topic: "missing" }, { maxRecords: 0 }, { timeoutMs: -1 }])
    expect(nowFailure(request)).toEqual(await failure(request));
  // A wait needs fetch (a long poll), and so does a log not open yet.
  expect(broker.fetchNow({ topic: "t", partition: 0, offset: 1, timeoutMs: 10 })).toBeUndefined();
  await broker.createTopic("fresh", 1);
  expect(broker.fetchNow({ topic: "fresh", partition: 0, offset: 0 })).toBeUndefined();
  expect(await broker.fetch({ topic: "fresh", partition: 0, offset: 0 })).toEqual({ records: [], nextOffset: 0, startOffset: 0, endOffset: 0 });
});
