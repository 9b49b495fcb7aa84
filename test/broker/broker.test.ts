import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import type { BrokerDirectory, PeerTransport } from "../../src/broker/peer-transport.ts";
import { type BrokerConfig, brokerConfig } from "../../src/broker/config.ts";
import type { MetadataChange } from "../../src/broker/metadata.ts";
import type { MetadataStore } from "../../src/broker/metadata-store.ts";
import { REFUSE } from "../../src/broker/partition-router.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { partitionForKey } from "../../src/lib/murmur2.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";
import type { StoredRecord } from "../../src/storage/types.ts";
import { rec, recs } from "./records.ts";

const text = new TextDecoder();
let root: string;
const open: Broker[] = [];
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "streamnest-broker-"));
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

async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (error) {
    return error instanceof StreamNestError ? error.code : `unexpected ${String(error)}`;
  }
  return "no error";
}

async function messages(broker: Broker, topic: string, partition: number): Promise<string[]> {
  const { records } = await broker.fetch({ topic, partition, offset: 0, maxRecords: 10_000 });
  return records.map((r) => text.decode(r.value!));
}

describe("topics", () => {
  test("create, exists, conflict, validation", async () => {
    const broker = start({ maxPartitions: 8 });
    expect(await broker.createTopic("a", 3)).toBe("created");
    expect(await broker.createTopic("a", 3)).toBe("exists");
    expect(await codeOf(broker.createTopic("a", 2))).toBe("TOPIC_EXISTS");
    expect(await codeOf(broker.createTopic("../a", 1))).toBe("INVALID_TOPIC_NAME");
    expect(await codeOf(broker.createTopic(5 as unknown as string, 1))).toBe("INVALID_TOPIC_NAME");
    expect(await codeOf(broker.createTopic("b", 0))).toBe("INVALID_PARTITIONS");
    expect(await codeOf(broker.createTopic("b", 9))).toBe("INVALID_PARTITIONS");
    expect(await codeOf(broker.createTopic("b", "2" as unknown as number))).toBe("INVALID_PARTITIONS");
    expect(broker.listTopics()).toEqual(["a"]);
    // A created topic costs no folder until a partition is written.
    expect(existsSync(join(root, "b1", "a-0"))).toBe(false);
  });

  test("topics, schemas and records survive a restart", async () => {
    const first = start();
    await first.createTopic("keep", 2);
    await first.registerSchema("keep", { type: "string" });
    await first.produceBatch("keep", recs([
      { message: '"a"', partition: 0 },
      { message: '"b"', partition: 1 },
      { message: '"c"', partition: 0, key: "k", headers: { h: "v" } },
    ]));
    await first.close();
    open.splice(open.indexOf(first), 1);
    const second = start();
    expect(second.listTopics()).toEqual(["keep"]);
    expect(second.schemaVersions("keep").map((v) => v.schema)).toEqual([{ type: "string" }]);
    expect(await messages(second, "keep", 0)).toEqual(['"a"', '"c"']);
    const [, c] = (await second.fetch({ topic: "keep", partition: 0, offset: 0 })).records;
    expect([text.decode(c.key as Uint8Array), c.headers[0].key, text.decode(c.headers[0].value as Uint8Array)]).toEqual(["k", "h", "v"]);
    expect(await codeOf(second.produce("keep", rec({ message: "not json" })))).toBe("SCHEMA_VIOLATION");
    expect(second.metadata.version).toBe(2);
  });

  test("delete removes data; the name can be created again, empty", async () => {
    const broker = start();
    await broker.createTopic("t", 2);
    await broker.produce("t", rec({ message: "old", partition: 1 }));
    expect(existsSync(join(root, "b1", "t-1"))).toBe(true);
    await broker.deleteTopic("t");
    expect(existsSync(join(root, "b1", "t-1"))).toBe(false);
    expect(await codeOf(broker.deleteTopic("t"))).toBe("TOPIC_NOT_FOUND");
    await broker.createTopic("t", 2);
    expect(await messages(broker, "t", 1)).toEqual([]);
  });

  test("partition folders unknown to metadata are removed on start; other folders are left alone", async () => {
    const first = start();
    await first.createTopic("live", 1);
    await first.produce("live", rec({ message: "x" }));
    await first.close();
    open.splice(0);
    // A topic deleted right before a crash leaves its folder behind.
    mkdirSync(join(root, "b1", "gone-0"));
    writeFileSync(join(root, "b1", "gone-0", "00000000000000000000.log"), "");
    mkdirSync(join(root, "b1", "notes-1"));
    writeFileSync(join(root, "b1", "notes-1", "README.txt"), "mine");
    const second = start();
    expect(existsSync(join(root, "b1", "gone-0"))).toBe(false);
    expect(existsSync(join(root, "b1", "notes-1", "README.txt"))).toBe(true);
    expect(await messages(second, "live", 0)).toEqual(["x"]);
  });
});

describe("produce", () => {
  test("explicit partition, key (Kafka's partitioner), round-robin", async () => {
    const broker = start();
    await broker.createTopic("p", 4);
    expect(await broker.produce("p", rec({ message: "x", partition: 3 }))).toEqual({ partition: 3, offset: 0 });
    expect((await broker.produce("p", rec({ message: "x", key: "some-key" }))).partition).toBe(partitionForKey("some-key", 4));
    const rr = [];
    for (let i = 0; i < 8; i++) rr.push((await broker.produce("p", rec({ message: `${i}` }))).partition);
    expect(rr).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    expect(await codeOf(broker.produce("p", rec({ message: "x", partition: 4 })))).toBe("PARTITION_OUT_OF_RANGE");
    expect(await codeOf(broker.produce("p", rec({ message: "x", partition: 1.5 })))).toBe("INVALID_REQUEST");
    expect(await codeOf(broker.produce("nope", rec({ message: "x" })))).toBe("TOPIC_NOT_FOUND");
    expect(await codeOf(broker.produce("p", rec({ message: 5 as unknown as string })))).toBe("INVALID_REQUEST");
  });

  test("concurrent single produces get distinct, gap-free offsets", async () => {
    const broker = start();
    await broker.createTopic("c", 1);
    const acks = await Promise.all(Array.from({ length: 200 }, (_, i) => broker.produce("c", rec({ message: `m${i}` }))));
    expect(acks.map((a) => a.offset).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const stored = await messages(broker, "c", 0);
    for (const ack of acks) expect(stored[ack.offset]).toBe(`m${acks.indexOf(ack)}`);
  });

  test("a message over the limit is refused alone in a batch", async () => {
    const broker = start({ maxMessageBytes: 10 });
    await broker.createTopic("s", 1);
    const outcomes = await broker.produceBatch("s", recs([{ message: "small" }, { message: "much too large" }, { message: "ok" }]));
    expect(outcomes[0]).toEqual({ partition: 0, offset: 0 });
    expect((outcomes[1] as { error: string }).error).toBe("MESSAGE_TOO_LARGE");
    expect(outcomes[2]).toEqual({ partition: 0, offset: 1 });
  });
});

describe("fetch and tail", () => {
  test("a long poll is woken by the append, and by an abort", async () => {
    const broker = start();
    await broker.createTopic("w", 1);
    const waiting = broker.fetch({ topic: "w", partition: 0, offset: 0, timeoutMs: 60_000 });
    await broker.produce("w", rec({ message: "wake" }));
    expect((await waiting).records.map((r) => text.decode(r.value!))).toEqual(["wake"]);
    const controller = new AbortController();
    const aborted = broker.fetch({ topic: "w", partition: 0, offset: 1, timeoutMs: 60_000, signal: controller.signal });
    controller.abort();
    expect((await aborted).records).toEqual([]);
  });

  test("closing the broker ends long polls and tails", async () => {
    const broker = start();
    await broker.createTopic("w", 1);
    const waiting = broker.fetch({ topic: "w", partition: 0, offset: 0, timeoutMs: 60_000 });
    const tail = await broker.tail({ topic: "w", partition: 0, signal: new AbortController().signal });
    const iterator = tail.records[Symbol.asyncIterator]();
    const next = iterator.next();
    await broker.close();
    expect((await waiting).records).toEqual([]);
    expect((await next).done).toBe(true);
    expect(await codeOf(broker.produce("w", rec({ message: "late" })))).toBe("LEADER_UNAVAILABLE");
  });

  test("a tail closed before it is read frees its slot", async () => {
    const broker = start();
    await broker.createTopic("t", 1);
    const tail = await broker.tail({ topic: "t", partition: 0, offset: 0, signal: new AbortController().signal });
    expect((await broker.metrics.activeStreams.get()).values[0].value).toBe(1);
    tail.close();
    tail.close();
    expect((await broker.metrics.activeStreams.get()).values[0].value).toBe(0);
  });

  test("a tail starts at the end by default and checks its offset", async () => {
    const broker = start();
    await broker.createTopic("t", 1);
    await broker.produce("t", rec({ message: "before" }));
    const tail = await broker.tail({ topic: "t", partition: 0, signal: new AbortController().signal });
    expect(tail.startOffset).toBe(1);
    tail.close();
    expect(await codeOf(broker.tail({ topic: "t", partition: 0, offset: 2, signal: new AbortController().signal }))).toBe(
      "OFFSET_OUT_OF_RANGE",
    );
    expect(await codeOf(broker.tail({ topic: "t", partition: 0, offset: -1, signal: new AbortController().signal }))).toBe(
      "INVALID_OFFSET",
    );
  });
});

describe("the cluster seam", () => {
  /**
   * Two real brokers in one process: metadata changes are applied to both stores (what
   * the controller does over the network), and each broker's forwarder calls the other
   * broker directly (what the cluster's forwarder does over HTTP).
   */
  test("calls for a partition led elsewhere go through the forwarder to the leader", async () => {
    const members = [
      { id: 1, address: "one:1" },
      { id: 2, address: "two:2" },
    ];
    const brokers = new Map<number, Broker>();
    const stores: MetadataStore[] = [];
    const forwarded: string[] = [];
    const peers: PeerTransport = {
      async produce(leader, topic, partition, msgs) {
        forwarded.push(`produce p${partition} -> ${leader.id}`);
        return (brokers.get(leader.id) as Broker).produceBatch(topic, msgs);
      },
      async fetch(leader, request) {
        forwarded.push(`fetch p${request.partition} -> ${leader.id}`);
        return (brokers.get(leader.id) as Broker).fetch(request);
      },
      async tail(leader, request) {
        forwarded.push(`tail p${request.partition} -> ${leader.id}`);
        return (brokers.get(leader.id) as Broker).tail(request);
      },
      async partitionRanges(leader, topic) {
        return (brokers.get(leader.id) as Broker).localPartitionRanges(topic);
      },
      async group() {
        throw new Error("no group calls here");
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
        start({ id: self.id, dataDir: join(root, `b${self.id}`), advertise: self.address }, { directory, peers, proposer: replicate }),
      );
    }
    const one = brokers.get(1) as Broker;
    const two = brokers.get(2) as Broker;
    // One copy each (no replication driver runs here): the forwarding of a single-copy partition.
    expect(await one.createTopic("spread", 2, { replicationFactor: 1 })).toBe("created");
    expect(two.listTopics()).toEqual(["spread"]);
    expect(one.clusterMetadata().topics[0].partitions).toEqual([
      { partition: 0, leader: 1, broker: "one:1" },
      { partition: 1, leader: 2, broker: "two:2" },
    ]);
    expect(await one.produce("spread", rec({ message: "local", partition: 0 }))).toEqual({ partition: 0, offset: 0 });
    expect(await one.produce("spread", rec({ message: "remote", partition: 1 }))).toEqual({ partition: 1, offset: 0 });
    const batch = await one.produceBatch("spread", recs([
      { message: "a", partition: 1 },
      { message: "b", partition: 0 },
    ]));
    expect(batch).toEqual([
      { partition: 1, offset: 1 },
      { partition: 0, offset: 1 },
    ]);
    expect((await one.fetch({ topic: "spread", partition: 1, offset: 0 })).records.map((r) => text.decode(r.value!))).toEqual(["remote", "a"]);
    const tail = await one.tail({ topic: "spread", partition: 1, offset: 0, signal: new AbortController().signal });
    const first = await tail.records[Symbol.asyncIterator]().next();
    expect((first.value as StoredRecord[]).map((r) => text.decode(r.value!))).toEqual(["remote", "a"]);
    tail.close();
    expect(forwarded).toEqual(["produce p1 -> 2", "produce p1 -> 2", "fetch p1 -> 2", "tail p1 -> 2"]);
    // Under REFUSE (a Kafka client's view) nothing is forwarded: the caller is told the leader.
    expect(await codeOf(one.produce("spread", rec({ message: "refused", partition: 1 }), REFUSE))).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(await codeOf(one.fetch({ topic: "spread", partition: 1, offset: 0 }, REFUSE))).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(await one.produceBatch("spread", recs([{ message: "here", partition: 0 }, { message: "there", partition: 1 }]), REFUSE)).toEqual([
      { partition: 0, offset: 2 },
      {
        error: "NOT_LEADER_OR_FOLLOWER",
        message: 'partition 1 of topic "spread" is led by broker 2 (two:2), not this one',
        details: { leader: 2, broker: "two:2" },
      },
    ]);
    expect(forwarded).toHaveLength(4);
    // The data lives only on the leader.
    expect(existsSync(join(root, "b2", "spread-1"))).toBe(true);
    expect(existsSync(join(root, "b1", "spread-1"))).toBe(false);
    expect(one.describeTopic("spread").partitions[1]).toEqual({ partition: 1, leader: 2, replicas: [2], leaderEpoch: 0, broker: "two:2" });
  });
});

describe("the data dir lock", () => {
  test("a second broker on the same data dir is refused; a stale lock is taken over", async () => {
    const first = start();
    expect(await codeOf(() => start())).toBe("STORAGE_ERROR");
    await first.close();
    open.splice(0);
    // A lock left by a process that no longer exists (kill -9) does not block a start.
    const dead = Bun.spawnSync([process.execPath, "-e", "process.exit(0)"]).pid;
    writeFileSync(join(root, "b1", "broker.lock"), String(dead));
    const second = start();
    expect(second.listTopics()).toEqual([]);
    await second.close();
    open.splice(0);
    expect(existsSync(join(root, "b1", "broker.lock"))).toBe(false);
  });
});
