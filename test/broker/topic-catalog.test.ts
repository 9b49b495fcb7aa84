import { expect, test } from "bun:test";
import { TopicCatalog } from "../../src/broker/topic-catalog.ts";
import type { TopicMetadata } from "../../src/broker/metadata.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";

const meta = (name: string, partitions: number): TopicMetadata => ({
  name,
  id: `${name}-id`,
  partitions: Array.from({ length: partitions }, (_, p) => ({ partition: p, replicas: [1], leader: 1, leaderEpoch: 0 })),
  schemas: [],
  createdAt: 0,
});

function code(run: () => unknown): string {
  try {
    run();
    return "no error";
  } catch (error) {
    return error instanceof StreamNestError ? `${error.code}: ${error.message}` : String(error);
  }
}

test("topics by name, partitions by number, each refusal with its own code", () => {
  const catalog = new TopicCatalog("/data/b3", 3, new BrokerMetrics({ defaultMetrics: false }));
  catalog.add(meta("b", 4));
  catalog.add(meta("__consumer_offsets", 2));
  catalog.add(meta("a", 1));
  expect(catalog.names()).toEqual(["a", "b"]);
  expect(catalog.names(true)).toEqual(["__consumer_offsets", "a", "b"]);
  const b = catalog.topic("b");
  expect(catalog.partition(b, 2).dir).toBe("/data/b3/b-2");
  expect(catalog.partition(b, 2).keepOpen).toBe(false);
  expect(catalog.partition(catalog.topic("__consumer_offsets"), 0).keepOpen).toBe(true);
  // Broker 3 starts its round-robin two partitions in, so brokers spread their producers.
  expect(b.roundRobin).toBe(2);
  expect(code(() => catalog.topic("nope"))).toBe('TOPIC_NOT_FOUND: topic "nope" does not exist');
  expect(code(() => catalog.topic("../x"))).toStartWith("INVALID_TOPIC_NAME");
  expect(code(() => catalog.partition(b, 4))).toBe('PARTITION_OUT_OF_RANGE: topic "b" has partitions 0 to 3; there is no partition 4');
  expect(code(() => catalog.partition(b, 1.5))).toBe("INVALID_REQUEST: partition must be an integer");
  catalog.remove("b");
  expect(catalog.get("b")).toBeUndefined();
});

test("a name differing only in case is found by index, and forgotten with its topic", () => {
  const catalog = new TopicCatalog("/data/b1", 1, new BrokerMetrics({ defaultMetrics: false }));
  catalog.add(meta("Demo", 1));
  expect(catalog.caseVariantOf("demo")).toBe("Demo");
  expect(catalog.caseVariantOf("DEMO")).toBe("Demo");
  expect(catalog.caseVariantOf("Demo")).toBeUndefined();
  expect(catalog.caseVariantOf("other")).toBeUndefined();
  catalog.remove("Demo");
  expect(catalog.caseVariantOf("demo")).toBeUndefined();
});
