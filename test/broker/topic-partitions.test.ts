import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { type BrokerConfig, brokerConfig } from "../../src/broker/config.ts";
import type { CoreContext } from "../../src/broker/core-context.ts";
import type { MetadataChange } from "../../src/broker/metadata.ts";
import type { MetadataStore } from "../../src/broker/metadata-store.ts";
import { REFUSE } from "../../src/broker/partition-router.ts";
import type { BrokerDirectory } from "../../src/broker/peer-transport.ts";
import { addTopic } from "../../src/broker/topic-admin.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { partitionForKey } from "../../src/lib/murmur2.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";
import { rec } from "./records.ts";

let root: string;
const open: Broker[] = [];
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "streamnest-topic-partitions-"));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  rmSync(root, { recursive: true, force: true });
});

function start(overrides: Partial<BrokerConfig> = {}, deps: Parameters<typeof Broker.open>[1] = {}): Broker {
  const broker = Broker.open(brokerConfig({ id: 1, dataDir: join(root, "b1"), port: 7001, ...overrides }), {
    metrics: new BrokerMetrics({ defaultMetrics: false }),
    warn: () => {},
    ...deps,
  });
  open.push(broker);
  return broker;
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StreamNestError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return "no error";
}

const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

describe("createPartitions", () => {
  test("grows a topic: old records stay, new partitions take records, and a restart keeps the count", async () => {
    const broker = start();
    await broker.createTopic("grow", 2);
    await broker.produce("grow", rec({ message: "p1", partition: 1 }));
    expect(await broker.createPartitions("grow", 5)).toEqual({ before: 2, partitions: 5 });
    expect(broker.describeTopic("grow").partitions.map((p) => [p.partition, p.leader, p.endOffset])).toEqual([
      [0, 1, 0],
      [1, 1, 1],
      [2, 1, 0],
      [3, 1, 0],
      [4, 1, 0],
    ]);
    expect(await broker.produce("grow", rec({ message: "p4", partition: 4 }))).toEqual({ partition: 4, offset: 0 });
    expect(existsSync(join(root, "b1", "grow-4"))).toBe(true);
    await open.pop()?.close();
    const again = start();
    expect(again.describeTopic("grow").partitions.length).toBe(5);
    expect((await again.fetch({ topic: "grow", partition: 1, offset: 0 })).records.map((r) => text(r.value))).toEqual(["p1"]);
    expect((await again.fetch({ topic: "grow", partition: 4, offset: 0 })).records.map((r) => text(r.value))).toEqual(["p4"]);
  });

  test("a key may map to another partition after growth (murmur2 mod the new count), as in Kafka", async () => {
    const broker = start();
    await broker.createTopic("keys", 2);
    // A key whose partition differs between 2 and 3 partitions.
    const key = ["a", "b", "c", "d", "e", "f", "g"].find((k) => partitionForKey(k, 2) !== partitionForKey(k, 3)) as string;
    const before = await broker.produce("keys", rec({ message: "1", key }));
    expect(before.partition).toBe(partitionForKey(key, 2));
    await broker.createPartitions("keys", 3);
    const after = await broker.produce("keys", rec({ message: "2", key }));
    expect(after.partition).toBe(partitionForKey(key, 3));
    expect(after.partition).not.toBe(before.partition);
  });

  test("the same count, fewer, out of range, an unknown topic and the offsets topic are refused; nothing changes", async () => {
    const broker = start({ maxPartitions: 8 });
    await broker.createTopic("fixed", 3);
    expect(await failure(broker.createPartitions("fixed", 3))).toBe('INVALID_PARTITIONS: topic "fixed" already has 3 partitions');
    expect(await failure(broker.createPartitions("fixed", 2))).toBe(
      'INVALID_PARTITIONS: topic "fixed" has 3 partitions, more than the 2 asked; partitions can be added, never removed',
    );
    expect(await failure(broker.createPartitions("fixed", 9))).toBe("INVALID_PARTITIONS: partitions must be an integer from 1 to 8, got 9");
    expect(await failure(broker.createPartitions("fixed", 3.5))).toBe("INVALID_PARTITIONS: partitions must be an integer from 1 to 8, got 3.5");
    expect(await failure(broker.createPartitions("missing", 4))).toBe('TOPIC_NOT_FOUND: topic "missing" does not exist');
    const ctx = (broker as unknown as { ctx: CoreContext }).ctx;
    await addTopic(ctx, "__consumer_offsets", 2);
    expect(await failure(broker.createPartitions("__consumer_offsets", 4))).toBe(
      "INVALID_REQUEST: __consumer_offsets's partition count decides every group's coordinator and cannot change",
    );
    expect(broker.describeTopic("fixed").partitions.length).toBe(3);
    expect(broker.describeTopic("__consumer_offsets").partitions.length).toBe(2);
  });

  test("validateOnly checks and changes nothing", async () => {
    const broker = start();
    await broker.createTopic("dry", 1);
    const version = broker.clusterMetadata().version;
    expect(await broker.createPartitions("dry", 4, { validateOnly: true })).toEqual({ before: 1, partitions: 4 });
    expect(broker.describeTopic("dry").partitions.length).toBe(1);
    expect(broker.clusterMetadata().version).toBe(version);
  });

  test("on two brokers sharing metadata, new partitions are placed round-robin like the first ones and both see them", async () => {
    const members = [
      { id: 1, address: "one:1" },
      { id: 2, address: "two:2" },
    ];
    const stores: MetadataStore[] = [];
    const replicate = (store: MetadataStore) => {
      stores.push(store);
      return {
        async propose(change: MetadataChange) {
          const results = stores.map((s) => s.apply(change));
          return results[stores.indexOf(store)];
        },
      };
    };
    const [one, two] = members.map((self) => {
      const directory: BrokerDirectory = { self, brokers: () => members };
      return start({ id: self.id, dataDir: join(root, `b${self.id}`), advertise: self.address }, { directory, proposer: replicate });
    });
    await one.createTopic("spread", 1, { replicationFactor: 1 });
    await two.createPartitions("spread", 4);
    for (const b of [one, two])
      expect(b.describeTopic("spread").partitions.map((p) => [p.partition, p.leader, p.replicas])).toEqual([
        [0, 1, [1]],
        [1, 2, [2]],
        [2, 1, [1]],
        [3, 2, [2]],
      ]);
    // Broker 2 leads partition 3 and serves it.
    expect(await two.produce("spread", rec({ message: "x", partition: 3 }), REFUSE)).toEqual({ partition: 3, offset: 0 });
  });
});
