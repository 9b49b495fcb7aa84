import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import type { MetadataChange } from "../../src/broker/metadata.ts";
import type { MetadataStore } from "../../src/broker/metadata-store.ts";
import { REFUSE, servedForwarded } from "../../src/broker/partition-router.ts";
import type { BrokerDirectory, PeerTransport } from "../../src/broker/peer-transport.ts";
import type { ProduceOutcome } from "../../src/broker/types.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { partitionForKey } from "../../src/lib/murmur2.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";
import { rec, recs } from "./records.ts";

/**
 * Produce routing while a broker is down (produce-routing.ts), on three real brokers in
 * one process: metadata changes are applied to every store (the quorum's job), a call
 * to a leader runs on that leader's core as a forwarded call (the cluster's forwarder's
 * job), and a broker that is down refuses the connection, as a killed process does.
 * `known` is what each broker's liveness says (heartbeats): it may lag behind `down`.
 */

const members = [1, 2, 3].map((id) => ({ id, address: `b${id}:80` }));
let root: string;
let brokers: Map<number, Broker>;
let stores: MetadataStore[];
const down = new Set<number>();
const known = new Set<number>();
const calls: string[] = [];
/** Failures the next forwarded reads meet, in order (the cluster's forwarder's errors). */
const fetchFailures: StreamNestError[] = [];

function transport(from: number): PeerTransport {
  const leaderCore = (id: number): Broker => brokers.get(id) as Broker;
  return {
    async produce(leader, topic, partition, records): Promise<ProduceOutcome[]> {
      calls.push(`${from}->${leader.id} p${partition} x${records.length}`);
      if (down.has(leader.id)) {
        // As the cluster's forwarder does: a broker that refused a call counts as down.
        known.add(leader.id);
        throw new StreamNestError("LEADER_UNAVAILABLE", `partition ${partition} of topic "${topic}" is led by broker ${leader.id} (${leader.address}), which cannot be reached (ECONNREFUSED)`, {
          leader: leader.id,
          broker: leader.address,
        });
      }
      return leaderCore(leader.id).produceBatch(topic, records.map((r) => ({ ...r, partition })), servedForwarded(from));
    },
    async fetch(leader, request) {
      calls.push(`${from}->${leader.id} read p${request.partition}`);
      const failure = fetchFailures.shift();
      if (failure !== undefined) throw failure;
      return leaderCore(leader.id).fetch(request, servedForwarded(from));
    },
    async tail(leader, request) {
      return leaderCore(leader.id).tail(request, servedForwarded(from));
    },
    async partitionRanges(leader, topic) {
      return leaderCore(leader.id).localPartitionRanges(topic);
    },
    async group() {
      throw new Error("no group calls here");
    },
  };
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "streamnest-routing-"));
  brokers = new Map();
  stores = [];
  down.clear();
  known.clear();
  calls.length = 0;
  fetchFailures.length = 0;
  for (const self of members) {
    const directory: BrokerDirectory = { self, brokers: () => members, isAlive: (id) => !known.has(id) };
    const broker = Broker.open(brokerConfig({ id: self.id, dataDir: join(root, `b${self.id}`), advertise: self.address, leaderWaitMs: 1500 }), {
      metrics: new BrokerMetrics({ defaultMetrics: false }),
      warn: () => {},
      directory,
      peers: transport(self.id),
      proposer: (store) => {
        stores.push(store);
        return {
          async propose(change: MetadataChange) {
            const results = stores.map((s) => s.apply(change));
            return results[stores.indexOf(store)];
          },
        };
      },
    });
    brokers.set(self.id, broker);
  }
});

afterEach(async () => {
  for (const broker of brokers.values()) await broker.close();
  rmSync(root, { recursive: true, force: true });
});

const one = (): Broker => brokers.get(1) as Broker;

async function refusal(promise: Promise<unknown>): Promise<StreamNestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof StreamNestError)) throw new Error(`expected a StreamNestError, got ${String(error)}`);
  return error;
}

/** A key that murmur2 sends to `partition` of `count`. */
function keyFor(partition: number, count: number): string {
  for (let i = 0; ; i++) if (partitionForKey(new TextEncoder().encode(`k${i}`), count) === partition) return `k${i}`;
}

describe("records without key or partition while a leader is down (one replica each)", () => {
  beforeEach(async () => {
    expect(await one().createTopic("spread", 3, { replicationFactor: 1 })).toBe("created");
    expect(one().clusterMetadata().topics[0].partitions.map((p) => p.leader)).toEqual([1, 2, 3]);
    down.add(2);
  });

  test("known down: the round-robin skips its partition, every produce lands on the others, nothing is sent to it", async () => {
    known.add(2);
    const acks = [];
    for (let i = 0; i < 6; i++) acks.push(await one().produce("spread", rec({ message: `m${i}` })));
    // Broker 1 starts its round-robin at partition 0 (broker id - 1).
    expect(acks).toEqual([
      { partition: 0, offset: 0 },
      { partition: 2, offset: 0 },
      { partition: 0, offset: 1 },
      { partition: 2, offset: 1 },
      { partition: 0, offset: 2 },
      { partition: 2, offset: 2 },
    ]);
    expect(calls.filter((c) => c.includes("->2"))).toEqual([]);
    const batch = await one().produceBatch("spread", recs([{ message: "a" }, { message: "b" }, { message: "c" }]));
    expect(batch).toEqual([
      { partition: 0, offset: 3 },
      { partition: 2, offset: 3 },
      { partition: 0, offset: 4 },
    ]);
  });

  test("not yet known down: the record refused by the dead leader moves on to the next partition, written once", async () => {
    // The round-robin is at partition 1 (broker 2's) after one record on partition 0.
    expect(await one().produce("spread", rec({ message: "first" }))).toEqual({ partition: 0, offset: 0 });
    expect(await one().produce("spread", rec({ message: "moved" }))).toEqual({ partition: 2, offset: 0 });
    expect(calls).toEqual(["1->2 p1 x1", "1->3 p2 x1"]);
    calls.length = 0;
    // A batch, broker 2 forgotten as down again (a heartbeat came through): the records
    // bound for partition 1 move to a partition with a leader once it refuses them.
    known.delete(2);
    const batch = await one().produceBatch("spread", recs([{ message: "a" }, { message: "b" }, { message: "c" }, { message: "d" }]));
    expect([batch[0], batch[3]]).toEqual([
      { partition: 0, offset: 1 },
      { partition: 0, offset: 2 },
    ]);
    // b (moved off partition 1) and c share partition 2, in whichever order they arrived.
    expect([batch[1], batch[2]].map((o) => ("partition" in o ? o.partition : o.error))).toEqual([2, 2]);
    expect([batch[1], batch[2]].map((o) => ("offset" in o ? o.offset : -1)).sort()).toEqual([1, 2]);
    expect(calls.filter((c) => c.startsWith("1->2"))).toEqual(["1->2 p1 x1"]);
    const read = await Promise.all([0, 1, 2].map((p) => one().fetch({ topic: "spread", partition: p, offset: 0 }).catch((e: unknown) => e)));
    const text = (r: unknown) => ((r as { records: { value: Uint8Array }[] }).records ?? []).map((x) => new TextDecoder().decode(x.value));
    expect(text(read[0])).toEqual(["first", "a", "d"]);
    expect([...text(read[2])].sort()).toEqual(["b", "c", "moved"]);
  });

  test("a key whose partition is offline (its only replica down) gets a 503 at once naming the partition and why", async () => {
    const started = Date.now();
    const error = await refusal(one().produce("spread", rec({ message: "k", key: keyFor(1, 3) })));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error.code).toBe("LEADER_UNAVAILABLE");
    expect(error.message).toBe(
      'partition 1 of topic "spread" is offline: its leader broker 2 (b2:80) is down and no other in-sync replica is alive to take over (in-sync replicas: 2); it is writable again once broker 2 is back: partition 1 of topic "spread" is led by broker 2 (b2:80), which cannot be reached (ECONNREFUSED)',
    );
    expect(error.details).toEqual({ partition: 1, state: "offline", leader: 2, broker: "b2:80", isr: [2] });
  });

  test("with every partition's leader down an unkeyed record is refused at once, each partition's state listed", async () => {
    expect(await one().createTopic("lonely", 2, { replicationFactor: 1 })).toBe("created");
    known.add(1);
    down.add(1);
    known.add(2);
    const error = await refusal(brokers.get(3)?.produce("lonely", rec({ message: "x" })) as Promise<unknown>);
    expect(error.message).toBe(
      'no partition of topic "lonely" has a live leader to take a message without key or partition; partitions 0 offline (leader broker 1 down), 1 offline (leader broker 2 down); retry',
    );
  });

  test("a Kafka client (REFUSE) is told LEADER_UNAVAILABLE for a dead leader, NOT_LEADER_OR_FOLLOWER for a live one", async () => {
    known.add(2);
    expect((await refusal(one().produce("spread", rec({ message: "x", partition: 1 }), REFUSE))).code).toBe("LEADER_UNAVAILABLE");
    expect((await refusal(one().fetch({ topic: "spread", partition: 1, offset: 0 }, REFUSE))).code).toBe("LEADER_UNAVAILABLE");
    expect((await refusal(one().produce("spread", rec({ message: "x", partition: 2 }), REFUSE))).code).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(calls).toEqual([]);
  });
});

describe("a record that must go to its partition while the partition elects a leader", () => {
  beforeEach(async () => {
    expect(await one().createTopic("keyed", 3, { replicationFactor: 3, minInsyncReplicas: 1 })).toBe("created");
    const p1 = one().clusterMetadata().topics[0].partitions[1];
    expect([p1.leader, p1.replicas, p1.isr]).toEqual([2, [2, 3, 1], [2, 3, 1]]);
    // What the replication driver does first: each leader's log begins epoch 0.
    const meta = one().metadata.current.topics.get("keyed");
    for (const p of meta?.partitions ?? []) brokers.get(p.leader)?.replicaHost().replicaLog("keyed", meta?.id ?? "", p.partition)?.assignEpoch(0, 0);
    down.add(2);
    known.add(2);
  });

  /** What the replication driver does on an election: the new leader's log starts the epoch. */
  function elect(partition: number, leader: number, isr: number[]): void {
    const meta = one().metadata.current.topics.get("keyed");
    if (!meta) throw new Error("no topic");
    const p = meta.partitions[partition];
    const change: MetadataChange = {
      type: "alter-partition",
      topic: "keyed",
      topicId: meta.id,
      partition,
      leader,
      isr,
      leaderEpoch: p.leaderEpoch + 1,
      partitionEpoch: (p.partitionEpoch ?? 0) + 1,
      expectedLeaderEpoch: p.leaderEpoch,
      expectedPartitionEpoch: p.partitionEpoch ?? 0,
    };
    for (const store of stores) store.apply(change);
    const log = brokers.get(leader)?.replicaHost().replicaLog("keyed", meta.id, partition);
    log?.assignEpoch(p.leaderEpoch + 1, log.logEndOffset);
  }

  test("waits for the new leader and is written there, never sent to the dead one", async () => {
    const started = Date.now();
    const produced = one().produce("keyed", rec({ message: "patient", key: keyFor(1, 3), acks: "1" }));
    await Bun.sleep(300);
    elect(1, 3, [3, 1]);
    expect(await produced).toEqual({ partition: 1, offset: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(calls).toEqual(["1->3 p1 x1"]);
  });

  test("a batch: the keyed records wait for their partition's leader, the unkeyed ones go elsewhere at once", async () => {
    const produced = one().produceBatch(
      "keyed",
      recs([
        { message: "k", key: keyFor(1, 3), acks: "1" },
        { message: "free", acks: "1" },
        { message: "x", partition: 1, acks: "1" },
      ]),
    );
    await Bun.sleep(200);
    elect(1, 3, [3, 1]);
    expect(await produced).toEqual([
      { partition: 1, offset: 0 },
      { partition: 0, offset: 0 },
      { partition: 1, offset: 1 },
    ]);
    expect(calls).toEqual(["1->3 p1 x2"]);
  });

  test("no election within --leader-wait-ms: a 503 saying the partition is electing and for how long it waited", async () => {
    const started = Date.now();
    const error = await refusal(one().produce("keyed", rec({ message: "late", partition: 1, acks: "1" })));
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(1500);
    expect(error.code).toBe("LEADER_UNAVAILABLE");
    expect(error.message).toMatch(
      /^partition 1 of topic "keyed" is electing a new leader: its leader broker 2 \(b2:80\) is down and no new one from the in-sync replicas 3, 1 took over in time \(waited 1\d{3} ms\); retry$/,
    );
    expect(error.details).toEqual({ partition: 1, state: "electing", leader: 2, broker: "b2:80", candidates: [3, 1] });
    expect(calls).toEqual([]);
  });
});

describe("a read forwarded to a leader that does not answer it", () => {
  beforeEach(async () => {
    expect(await one().createTopic("reads", 2, { replicationFactor: 1 })).toBe("created");
    expect(await one().produce("reads", rec({ message: "kept", partition: 1 }))).toEqual({ partition: 1, offset: 0 });
    calls.length = 0;
  });

  const broke = (extra: Record<string, unknown>) =>
    new StreamNestError("LEADER_UNAVAILABLE", 'partition 1 of topic "reads" is led by broker 2 (b2:80), which cannot be reached (ECONNRESET)', { leader: 2, broker: "b2:80", ...extra });
  const messages = (r: { records: { value: Uint8Array | null }[] }) => r.records.map((x) => new TextDecoder().decode(x.value ?? new Uint8Array(0)));

  // The incident (CI): a long poll forwarded over a pooled connection to a leader killed a
  // moment before broke at once and answered 503; unlike a write, a read changed nothing.
  test("whose connection broke after it was sent (a pooled connection to a killed process) is sent again and answered", async () => {
    fetchFailures.push(broke({ interrupted: true }), broke({}));
    expect(messages(await one().fetch({ topic: "reads", partition: 1, offset: 0 }))).toEqual(["kept"]);
    expect(calls).toEqual(["1->2 read p1", "1->2 read p1", "1->2 read p1"]);
  });

  test("whose leader used up the read's whole wait is reported, not sent again", async () => {
    fetchFailures.push(broke({ timedOut: true }));
    const error = await refusal(one().fetch({ topic: "reads", partition: 1, offset: 0 }));
    expect([error.code, error.details]).toEqual(["LEADER_UNAVAILABLE", { leader: 2, broker: "b2:80", timedOut: true }]);
    expect(calls).toEqual(["1->2 read p1"]);
  });

  test("one that keeps breaking is answered 503 once --leader-wait-ms (here 1.5 s) is spent, saying so", async () => {
    for (let i = 0; i < 100; i++) fetchFailures.push(broke({ interrupted: true }));
    const error = await refusal(one().fetch({ topic: "reads", partition: 1, offset: 0 }));
    expect(error.code).toBe("LEADER_UNAVAILABLE");
    expect(error.message).toContain('partition 1 of topic "reads"');
    expect(error.message).toContain("cannot be reached (ECONNRESET)");
    expect(calls.length).toBeGreaterThan(2);
    expect(new Set(calls)).toEqual(new Set(["1->2 read p1"]));
  });
});
