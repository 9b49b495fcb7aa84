import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import type { MetadataChange } from "../../src/broker/metadata.ts";
import type { MetadataStore } from "../../src/broker/metadata-store.ts";
import type { BrokerDirectory, PeerTransport } from "../../src/broker/peer-transport.ts";
import type { PartitionRange } from "../../src/broker/types.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";
import { rec } from "./records.ts";

let root: string;
const open: Broker[] = [];
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "streamnest-summaries-"));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  rmSync(root, { recursive: true, force: true });
});

const members = [
  { id: 1, address: "one:1" },
  { id: 2, address: "two:2" },
];

/** Two brokers in one process whose peer calls go straight to each other; `calls` records them. */
function pair(options: { batched: boolean; down?: Set<number> }) {
  const brokers = new Map<number, Broker>();
  const stores: MetadataStore[] = [];
  const calls: string[] = [];
  const reach = (id: number): Broker => {
    if (options.down?.has(id)) throw new StreamNestError("LEADER_UNAVAILABLE", `broker ${id} cannot be reached`);
    return brokers.get(id) as Broker;
  };
  const peers: PeerTransport = {
    produce: async (leader, topic, _p, records) => reach(leader.id).produceBatch(topic, records),
    fetch: async (leader, request) => reach(leader.id).fetch(request),
    tail: async (leader, request) => reach(leader.id).tail(request),
    async partitionRanges(leader, topic) {
      calls.push(`ranges ${topic} -> ${leader.id}`);
      return reach(leader.id).localPartitionRanges(topic);
    },
    group: async () => {
      throw new Error("no group calls here");
    },
  };
  if (options.batched)
    peers.allPartitionRanges = async (leader): Promise<Map<string, PartitionRange[]>> => {
      calls.push(`all ranges -> ${leader.id}`);
      return reach(leader.id).localRangesOfAllTopics();
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
    const config = brokerConfig({ id: self.id, dataDir: join(root, `b${self.id}`), advertise: self.address, port: 7000 + self.id });
    const broker = Broker.open(config, { metrics: new BrokerMetrics({ defaultMetrics: false }), warn: () => {}, directory, peers, proposer: replicate });
    open.push(broker);
    brokers.set(self.id, broker);
  }
  return { one: brokers.get(1) as Broker, two: brokers.get(2) as Broker, calls };
}

async function fill(one: Broker): Promise<void> {
  // One copy each (no replication driver runs here): each partition's totals live on its leader alone.
  await one.createTopic("a", 4, { replicationFactor: 1 });
  await one.createTopic("b", 2, { replicationFactor: 1 });
  await one.createTopic("c", 1, { replicationFactor: 1 });
  // Partition p of a topic is led by broker (p mod 2) + 1.
  await one.produceBatch("a", [0, 0, 1, 2, 3, 3, 3].map((p, i) => rec({ message: `a${i}`, partition: p })));
  await one.produceBatch("b", [1, 1].map((p, i) => rec({ message: `b${i}`, partition: p })));
}

const brief = (summaries: Awaited<ReturnType<Broker["summarizeTopics"]>>) =>
  summaries.map((s) => [s.topic, s.partitions, s.replicationFactor, s.messages, s.unreportedPartitions]);

test("every topic's totals come from each partition's leader, with one call to the other broker", async () => {
  const { one, two, calls } = pair({ batched: true });
  await fill(one);
  calls.length = 0;
  const summaries = await one.summarizeTopics();
  expect(brief(summaries)).toEqual([
    ["a", 4, 1, 7, 0],
    ["b", 2, 1, 2, 0],
    ["c", 1, 1, 0, 0],
  ]);
  expect(calls).toEqual(["all ranges -> 2"]);
  // the sizes are the leaders' own, as a describe reports them
  const described = await one.describeTopicAcrossCluster("a");
  expect(summaries[0].sizeBytes).toBe(described.partitions.reduce((sum, p) => sum + (p.sizeBytes ?? 0), 0));
  expect(summaries[0].sizeBytes).toBeGreaterThan(0);
  expect(brief(await two.summarizeTopics())).toEqual(brief(summaries));
});

test("only the topics asked for; a transport without the batched call is asked topic by topic", async () => {
  const { one, calls } = pair({ batched: false });
  await fill(one);
  calls.length = 0;
  expect(brief(await one.summarizeTopics(["b", "gone", "a"]))).toEqual([
    ["b", 2, 1, 2, 0],
    ["a", 4, 1, 7, 0],
  ]);
  expect(calls).toEqual(["ranges b -> 2", "ranges a -> 2"]);
});

test("a leader that cannot be reached leaves its partitions unreported, not the answer", async () => {
  const down = new Set<number>();
  const { one } = pair({ batched: true, down });
  await fill(one);
  down.add(2);
  expect(brief(await one.summarizeTopics())).toEqual([
    ["a", 4, 1, 3, 2],
    ["b", 2, 1, 0, 1],
    ["c", 1, 1, 0, 0],
  ]);
});

test("stats: messages counted where appended and read, disk of the logs held here", async () => {
  const { one, two } = pair({ batched: true });
  await fill(one);
  await two.fetch({ topic: "a", partition: 1, offset: 0 });
  const s1 = one.stats();
  const s2 = two.stats();
  expect([s1.produced, s1.consumed, s1.producedByTopic, s1.partitionLogs]).toEqual([3, 0, { a: 3 }, 2]);
  expect([s2.produced, s2.consumed, s2.producedByTopic, s2.consumedByTopic, s2.partitionLogs]).toEqual([6, 1, { a: 4, b: 2 }, { a: 1 }, 3]);
  const a = await one.describeTopicAcrossCluster("a");
  expect(s1.diskBytes).toBe((a.partitions[0].sizeBytes ?? 0) + (a.partitions[2].sizeBytes ?? 0));
});
