import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import { REFUSE } from "../../src/broker/partition-router.ts";
import type { ProduceRecord } from "../../src/broker/types.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";

/**
 * The core's produce asserts the invariants of what an adapter hands it (the adapter
 * checked its client's input): wrong values are refused before anything is written.
 */
let root: string;
let broker: Broker;
beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), "streamnest-produce-"));
  broker = Broker.open(brokerConfig({ id: 1, dataDir: root, port: 7001, maxMessageBytes: 16 }), {
    metrics: new BrokerMetrics({ defaultMetrics: false }),
    warn: () => {},
  });
  await broker.createTopic("t", 2);
});
afterEach(async () => {
  await broker.close();
  rmSync(root, { recursive: true, force: true });
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const good: ProduceRecord = { key: null, value: bytes("v"), headers: [] };

async function refusal(promise: Promise<unknown>): Promise<StreamNestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof StreamNestError)) throw new Error(`expected a StreamNestError, got ${String(error)}`);
  return error;
}

test("a record whose value, key, headers or partition has the wrong type is refused, nothing written", async () => {
  const wrong = [
    { ...good, value: "text" },
    { ...good, key: "k" },
    { ...good, headers: { h: "v" } },
    { ...good, partition: 1.5 },
    { ...good, partition: "1" },
    null,
  ] as unknown as ProduceRecord[];
  for (const record of wrong) expect((await refusal(broker.produce("t", record))).code).toBe("INVALID_REQUEST");
  const outcomes = await broker.produceBatch("t", [wrong[0], { ...good, partition: 0 }]);
  expect(outcomes).toEqual([
    {
      error: "INVALID_REQUEST",
      message: "a produced record needs its value as bytes or null, its key as bytes or null, headers as a list and an integer partition if any",
    },
    { partition: 0, offset: 0 },
  ]);
  expect((await broker.fetch({ topic: "t", partition: 1, offset: 0 })).records).toEqual([]);
  expect((await refusal(broker.produceBatch("t", []))).code).toBe("INVALID_REQUEST");
});

test("a null value (a Kafka tombstone) is stored as null, not as the empty value", async () => {
  expect(await broker.produce("t", { ...good, value: null, partition: 1 })).toEqual({ partition: 1, offset: 0 });
  expect(await broker.produce("t", { ...good, value: new Uint8Array(0), partition: 1 })).toEqual({ partition: 1, offset: 1 });
  expect((await broker.fetch({ topic: "t", partition: 1, offset: 0 })).records.map((r) => r.value)).toEqual([null, new Uint8Array(0)]);
});

test("the size limit counts value, key and header bytes, in words of no transport", async () => {
  const error = await refusal(broker.produce("t", { key: bytes("kk"), value: bytes("v".repeat(10)), headers: [{ key: "hé", value: bytes("xyz") }] }));
  expect(error.code).toBe("MESSAGE_TOO_LARGE");
  expect(error.message).toBe("the message takes 18 bytes (value, key and headers); the limit is 16");
});

test("bytes that are not text are stored as they are", async () => {
  const value = new Uint8Array([0xff, 0x00, 0xc3]);
  expect(await broker.produce("t", { key: null, value, headers: [{ key: "h", value: null }], partition: 1 })).toEqual({ partition: 1, offset: 0 });
  const [record] = (await broker.fetch({ topic: "t", partition: 1, offset: 0 })).records;
  expect([...record.value!]).toEqual([0xff, 0x00, 0xc3]);
  expect(record.headers).toEqual([{ key: "h", value: null }]);
});

test("the internal topic is refused without naming any route", async () => {
  await broker.groups.join("g", { topics: ["t"] });
  const error = await refusal(broker.produce("__consumer_offsets", good));
  expect(error.code).toBe("INVALID_REQUEST");
  expect(error.message).not.toContain("/");
});

test("the routing policy is the caller's: a lone broker leads everything, so REFUSE serves too", async () => {
  expect(await broker.produce("t", { ...good, partition: 0 }, REFUSE)).toEqual({ partition: 0, offset: 0 });
});
