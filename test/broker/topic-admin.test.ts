import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { type BrokerConfig, brokerConfig } from "../../src/broker/config.ts";
import type { CoreContext } from "../../src/broker/core-context.ts";
import type { MetadataChange } from "../../src/broker/metadata.ts";
import type { MetadataStore } from "../../src/broker/metadata-store.ts";
import { type BrokerDirectory, noPeerTransport, type PeerTransport } from "../../src/broker/peer-transport.ts";
import { addTopic, partitionRanges } from "../../src/broker/topic-admin.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";
import { rec } from "./records.ts";

let root: string;
const open: Broker[] = [];
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "streamnest-topic-admin-"));
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

async function failure(promise: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (error) {
    if (error instanceof StreamNestError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return "no error";
}

/**
 * Two real brokers in one process sharing metadata (what the quorum does over the
 * network); a peer's ranges come from the other broker itself, unless it is "down".
 */
function twoBrokers(): { one: Broker; two: Broker; down: Set<number>; warnings: string[] } {
  const members = [
    { id: 1, address: "one:1" },
    { id: 2, address: "two:2" },
  ];
  const brokers = new Map<number, Broker>();
  const down = new Set<number>();
  const warnings: string[] = [];
  const stores: MetadataStore[] = [];
  const peers: PeerTransport = {
    ...noPeerTransport,
    async partitionRanges(leader, topic) {
      if (down.has(leader.id)) throw new StreamNestError("LEADER_UNAVAILABLE", `broker ${leader.id} is down`);
      return (brokers.get(leader.id) as Broker).localPartitionRanges(topic);
    },
  };
  const replicate = (store: MetadataStore) => {
    stores.push(store);
    return {
      async propose(change: MetadataChange) {
        const results = stores.map((s) => s.apply(change));
        return results[stores.indexOf(store)];
      },
    };
  };
  for (const self of members) {
    const directory: BrokerDirectory = { self, brokers: () => members };
    brokers.set(
      self.id,
      start(
        { id: self.id, dataDir: join(root, `b${self.id}`), advertise: self.address },
        { directory, peers, proposer: replicate, warn: (m) => warnings.push(m) },
      ),
    );
  }
  return { one: brokers.get(1) as Broker, two: brokers.get(2) as Broker, down, warnings };
}

/** The broker's core state, for the module's functions the Broker class does not expose. */
const contextOf = (broker: Broker): CoreContext => (broker as unknown as { ctx: CoreContext }).ctx;

describe("create and delete", () => {
  test("the internal offsets topic is the group coordinators' own", async () => {
    const broker = start();
    // A rejected promise, not a synchronous throw, so that .catch() chains see it.
    const refused = broker.createTopic("__consumer_offsets", 3);
    expect(refused).toBeInstanceOf(Promise);
    expect(await failure(refused)).toBe(
      "INVALID_REQUEST: __consumer_offsets is internal: the brokers create it when a consumer group first needs it",
    );
    expect(broker.listTopics(true)).toEqual([]);
    expect(await failure(broker.deleteTopic("__consumer_offsets"))).toStartWith("TOPIC_NOT_FOUND");
    // Created the coordinators' way, it can be neither deleted nor given a schema.
    expect(await addTopic(contextOf(broker), "__consumer_offsets", 2)).toBe("created");
    expect(await failure(broker.deleteTopic("__consumer_offsets"))).toBe(
      "INVALID_REQUEST: __consumer_offsets holds every group's committed offsets and cannot be deleted",
    );
    expect(await failure(broker.registerSchema("__consumer_offsets", { type: "string" }))).toBe(
      "INVALID_REQUEST: __consumer_offsets is written by the group coordinators only and takes no schema",
    );
    expect(broker.listTopics()).toEqual([]);
    expect(broker.listTopics(true)).toEqual(["__consumer_offsets"]);
  });

  test("a name differing from an existing one only in case is refused (case-insensitive file systems)", async () => {
    const broker = start();
    await broker.createTopic("Demo", 1);
    expect(await failure(broker.createTopic("demo", 1))).toBe(
      'INVALID_TOPIC_NAME: topic "demo" differs from an existing topic only in case; their folders would collide on case-insensitive file systems (macOS, Windows)',
    );
    expect(await failure(broker.createTopic("Demo", 2))).toBe('TOPIC_EXISTS: topic "Demo" already exists with 1 partition, not 2');
  });

  test('a name equal to an existing one once "." and "_" are taken as one is refused, as Kafka refuses it', async () => {
    const broker = start();
    await broker.createTopic("orders.eu", 1);
    for (const name of ["orders_eu", "Orders_EU", "orders.EU"])
      expect(await failure(broker.createTopic(name, 1))).toBe(
        name === "orders.EU"
          ? `INVALID_TOPIC_NAME: topic "${name}" differs from an existing topic only in case; their folders would collide on case-insensitive file systems (macOS, Windows)`
          : `INVALID_TOPIC_NAME: topic "${name}" collides with an existing topic once "." and "_" are taken as one; Kafka refuses such names, as its metric names would clash`,
      );
    expect(await broker.createTopic("orders.eu", 1)).toBe("exists");
    expect(await broker.createTopic("orders-eu", 1)).toBe("created");
    // Once the first is deleted, the other name is free.
    await broker.deleteTopic("orders.eu");
    expect(await broker.createTopic("orders_eu", 1)).toBe("created");
    expect(broker.listTopics()).toEqual(["orders-eu", "orders_eu"]);
  });

  test("every partition folder name must fit in 255 characters", async () => {
    const broker = start({ maxPartitions: 1_000_000 });
    const name = "n".repeat(249);
    // "<249 characters>-99999" is 255 characters; a 100,001st partition's folder would be 256.
    expect(await failure(broker.createTopic(name, 100_001))).toBe(
      `INVALID_PARTITIONS: a topic named with 249 characters can have at most 100000 partitions (its folders "<topic>-<partition>" must fit in 255 characters), not 100001`,
    );
    expect(await failure(broker.createTopic("x", 1_000_001))).toBe("INVALID_PARTITIONS: partitions must be an integer from 1 to 1000000, got 1000001");
    expect(broker.listTopics()).toEqual([]);
  });

  test("schema versions count up; a schema that does not compile is refused", async () => {
    const broker = start();
    await broker.createTopic("s", 1);
    expect(await broker.registerSchema("s", { type: "string" })).toBe(1);
    expect(await broker.registerSchema("s", { type: "number" })).toBe(2);
    expect(broker.schemaVersions("s").map((v) => [v.version, v.schema])).toEqual([
      [1, { type: "string" }],
      [2, { type: "number" }],
    ]);
    expect(broker.describeTopic("s").schemaVersion).toBe(2);
    expect(await failure(broker.registerSchema("missing", { type: "string" }))).toStartWith("TOPIC_NOT_FOUND");
    expect(await failure(broker.registerSchema("s", { type: "nonsense" }))).toStartWith("INVALID_SCHEMA");
    expect(broker.schemaVersions("s")).toHaveLength(2);
  });
});

describe("describe", () => {
  test("a led partition shows its range and size; one never written shows zeros and gets no folder", async () => {
    const broker = start();
    await broker.createTopic("d", 2);
    await broker.produce("d", rec({ message: "hello", partition: 0 }));
    await broker.produce("d", rec({ message: "again", partition: 0 }));
    const description = broker.describeTopic("d");
    expect(description.topic).toBe("d");
    expect(description.schemaVersion).toBeNull();
    const [p0, p1] = description.partitions;
    expect({ ...p0, sizeBytes: undefined }).toEqual({
      partition: 0,
      leader: 1,
      replicas: [1],
      leaderEpoch: 0,
      broker: "localhost:7001",
      startOffset: 0,
      endOffset: 2,
      sizeBytes: undefined,
    });
    expect(p0.sizeBytes).toBeGreaterThan(10);
    expect(p1).toEqual({ partition: 1, leader: 1, replicas: [1], leaderEpoch: 0, broker: "localhost:7001", startOffset: 0, endOffset: 0, sizeBytes: 0 });
    expect(existsSync(join(root, "b1", "d-1"))).toBe(false);
    expect(broker.localPartitionRanges("d")).toEqual([
      { partition: 0, startOffset: 0, endOffset: 2, sizeBytes: p0.sizeBytes as number },
      { partition: 1, startOffset: 0, endOffset: 0, sizeBytes: 0 },
    ]);
  });

  test("across the cluster: each leader gives its own ranges; an unreachable one's stay unknown", async () => {
    const { one, two, down } = twoBrokers();
    // One copy each: with no replica elsewhere, an unreachable leader's range is unknown.
    await one.createTopic("x", 2, { replicationFactor: 1 });
    await two.produce("x", rec({ message: "on two", partition: 1 }));
    const local = one.describeTopic("x");
    expect(local.partitions[1]).toEqual({ partition: 1, leader: 2, replicas: [2], leaderEpoch: 0, broker: "two:2" });
    const across = await one.describeTopicAcrossCluster("x");
    expect(across.partitions.map((p) => [p.partition, p.startOffset, p.endOffset])).toEqual([
      [0, 0, 0],
      [1, 0, 1],
    ]);
    down.add(2);
    expect((await one.describeTopicAcrossCluster("x")).partitions[1].endOffset).toBeUndefined();
  });

  test("partitionRanges asks each leader once, keeps what it leads, and warns for one it cannot reach", async () => {
    const { one, two, down, warnings } = twoBrokers();
    // One copy each: broker 2's partitions live on broker 2 alone.
    await one.createTopic("r", 4, { replicationFactor: 1 });
    await one.produce("r", rec({ message: "a", partition: 0 }));
    await two.produce("r", rec({ message: "b", partition: 3 }));
    await two.produce("r", rec({ message: "c", partition: 3 }));
    const ranges = await partitionRanges(contextOf(one), "r");
    expect([...ranges.keys()].sort()).toEqual([0, 1, 2, 3]);
    expect([ranges.get(0)?.endOffset, ranges.get(1)?.endOffset, ranges.get(2)?.endOffset, ranges.get(3)?.endOffset]).toEqual([1, 0, 0, 2]);
    expect((await partitionRanges(contextOf(one), "unknown")).size).toBe(0);
    down.add(2);
    const partial = await partitionRanges(contextOf(one), "r");
    expect([...partial.keys()].sort()).toEqual([0, 2]);
    expect(warnings.filter((w) => w.startsWith("offsets of r"))).toEqual(["offsets of r from broker 2: broker 2 is down"]);
  });

  test("cluster metadata lists every broker once, by id, and each partition's leader", async () => {
    const { one } = twoBrokers();
    // The default factor (3) capped at the 2 brokers: replicas, ISR and epoch per partition.
    await one.createTopic("b", 3);
    expect(one.clusterMetadata()).toEqual({
      version: one.clusterMetadata().version,
      brokers: [
        { id: 1, address: "one:1" },
        { id: 2, address: "two:2" },
      ],
      topics: [
        {
          topic: "b",
          replicationFactor: 2,
          minInsyncReplicas: 2,
          partitions: [
            { partition: 0, leader: 1, broker: "one:1", replicas: [1, 2], isr: [1, 2], leaderEpoch: 0 },
            { partition: 1, leader: 2, broker: "two:2", replicas: [2, 1], isr: [2, 1], leaderEpoch: 0 },
            { partition: 2, leader: 1, broker: "one:1", replicas: [1, 2], isr: [1, 2], leaderEpoch: 0 },
          ],
        },
      ],
    });
    // A topic asked for one copy keeps the seed's shape.
    await one.createTopic("single", 1, { replicationFactor: 1 });
    expect(one.clusterMetadata().topics[1]).toEqual({ topic: "single", partitions: [{ partition: 0, leader: 1, broker: "one:1" }] });
  });
});
