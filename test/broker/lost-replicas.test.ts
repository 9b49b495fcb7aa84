import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import { type AlterPartitionChange, type BrokerRef, partitionEpochOf } from "../../src/broker/metadata.ts";
import { markHeld } from "../../src/broker/held-partitions.ts";
import { placePartitions } from "../../src/broker/metadata-placement.ts";
import type { ReplicaHost } from "../../src/broker/replica-host.ts";
import type { PartitionState } from "../../src/broker/topic-catalog.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";

/**
 * isLostReplica (KIP-966, issue 12's "a lost disk is never silent") on one real broker of
 * a three-broker cluster, its metadata driven in process: broker 1's data dir was born
 * after the topics were placed on it (a wiped disk that learned the metadata back), so
 * its copies of them are lost. A lost copy stays lost until its folder exists again
 * (copied again, or the operator's acceptance), whatever happens to the leader epoch: an
 * election bumps the epoch too, and a wiped broker still listed in the ISR was elected,
 * took the bump for an acceptance, and led with an empty log.
 */

const BROKERS: BrokerRef[] = [
  { id: 1, address: "127.0.0.1:1" },
  { id: 2, address: "127.0.0.1:2" },
  { id: 3, address: "127.0.0.1:3" },
];

const open: Array<{ broker: Broker; dir: string }> = [];
afterEach(async () => {
  for (const { broker, dir } of open.splice(0)) {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Broker 1, whose data dir was born at `diskBornAt` (0: nothing is taken for lost). */
function start(diskBornAt: number): { broker: Broker; host: ReplicaHost; dir: string; warnings: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-lost-replicas-"));
  const warnings: string[] = [];
  const broker = Broker.open(brokerConfig({ id: 1, dataDir: dir, port: 1 }), {
    metrics: new BrokerMetrics({ defaultMetrics: false }),
    directory: { self: BROKERS[0], brokers: () => BROKERS },
    warn: (m) => warnings.push(m),
    diskBornAt,
  });
  open.push({ broker, dir });
  return { broker, host: broker.replicaHost(), dir, warnings };
}

/**
 * Topic `name` created at `createdAt`: three partitions, each on all three brokers
 * (partition p led by broker p + 1), or one partition on brokers 2 and 3 only.
 */
function createTopic(broker: Broker, name: string, createdAt: number, brokers: BrokerRef[] = BROKERS): void {
  broker.metadata.apply({ type: "create-topic", topic: name, topicId: `${name}-id`, partitions: placePartitions(brokers, brokers.length, brokers.length), createdAt });
}

/** The partition's leadership moves (an election), through the metadata as the quorum commits it. */
function elect(broker: Broker, topic: string, partition: number, leader: number, isr: number[]): number {
  const p = broker.metadata.topic(topic)!.partitions[partition];
  const partitionEpoch = partitionEpochOf(p);
  const change: AlterPartitionChange = {
    type: "alter-partition",
    topic,
    topicId: `${topic}-id`,
    partition,
    leader,
    isr,
    leaderEpoch: p.leaderEpoch + 1,
    partitionEpoch: partitionEpoch + 1,
    expectedLeaderEpoch: p.leaderEpoch,
    expectedPartitionEpoch: partitionEpoch,
  };
  broker.metadata.apply(change);
  return broker.metadata.topic(topic)!.partitions[partition].leaderEpoch;
}

describe("isLostReplica: a copy lost with the disk", () => {
  test("stays lost while the leader epoch moves, even with this broker elected leader from the ISR", () => {
    const { broker, host, warnings } = start(Date.now());
    createTopic(broker, "t", 1);
    expect([0, 1, 2].map((p) => host.isLostReplica("t", p))).toEqual([true, true, true]);
    // The regression: broker 1, still in the ISR, elected leader again (epoch 0 -> 1).
    expect(broker.metadata.topic("t")!.partitions[0]).toMatchObject({ leader: 1, leaderEpoch: 0 });
    expect(elect(broker, "t", 0, 1, [1, 2, 3])).toBe(1);
    expect(host.isLostReplica("t", 0)).toBe(true);
    // Another broker leads in a later epoch, then broker 1 again: still lost every time.
    expect(elect(broker, "t", 0, 2, [2, 3])).toBe(2);
    expect(host.isLostReplica("t", 0)).toBe(true);
    expect(elect(broker, "t", 0, 1, [1, 2])).toBe(3);
    expect(host.isLostReplica("t", 0)).toBe(true);
    // Partition 1 was never elected anew: as lost as partition 0.
    expect(host.isLostReplica("t", 1)).toBe(true);
    // Said once per partition, however often asked.
    expect(warnings.filter((w) => w.startsWith('partition 0 of topic "t": its log is not in this broker\'s data directory'))).toHaveLength(1);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toContain("This broker leaves its in-sync replicas and copies the partition again from the leader");
  });

  test("a lost partition led here with no other in-sync replica counts as offline; one with others to copy from does not", () => {
    const { broker, host } = start(Date.now());
    createTopic(broker, "t", 1);
    createTopic(broker, "single", 1, [BROKERS[0]]);
    // Found as the metadata named them (watchLostReplicas).
    expect([host.isLostReplica("t", 0), host.isLostReplica("single", 0)]).toEqual([true, true]);
    // "single" (RF 1, led here) is offline; "t" has brokers 2 and 3 in sync to copy from.
    expect(host.offlineForLostData()).toBe(1);
  });

  test("ends once its folder exists again (copied again), for that partition only", async () => {
    const { broker, host, dir } = start(Date.now());
    createTopic(broker, "t", 1);
    expect(elect(broker, "t", 1, 2, [2, 3])).toBe(1);
    expect(host.isLostReplica("t", 1)).toBe(true);
    // The replication driver opens the replica's log to copy it from the leader.
    const lease = await host.replicaLease("t", "t-id", 1);
    expect(lease).toBeDefined();
    lease!.release();
    expect(existsSync(join(dir, "t-1"))).toBe(true);
    expect(host.isLostReplica("t", 1)).toBe(false);
    expect(host.isLostReplica("t", 0)).toBe(true);
    expect(host.isLostReplica("t", 2)).toBe(true);
    // The folder is the record: a later election does not make it lost again.
    expect(elect(broker, "t", 1, 1, [1, 2, 3])).toBe(2);
    expect(host.isLostReplica("t", 1)).toBe(false);
  });

  test("nothing is lost on a disk older than the topic, a disk of unknown birth, or a partition placed elsewhere", () => {
    const born = Date.now();
    const { broker, host, warnings } = start(born);
    createTopic(broker, "newer", born + 1);
    createTopic(broker, "elsewhere", 1, BROKERS.slice(1));
    expect(broker.metadata.topic("elsewhere")!.partitions[0].replicas).toEqual([2, 3]);
    expect([0, 1, 2].map((p) => host.isLostReplica("newer", p))).toEqual([false, false, false]);
    expect([0, 1].map((p) => host.isLostReplica("elsewhere", p))).toEqual([false, false]);
    expect(host.isLostReplica("missing", 0)).toBe(false);
    expect(warnings).toEqual([]);
    const unknown = start(0);
    createTopic(unknown.broker, "t", 1);
    expect(elect(unknown.broker, "t", 0, 1, [1, 2, 3])).toBe(1);
    expect(unknown.host.isLostReplica("t", 0)).toBe(false);
    expect(unknown.warnings).toEqual([]);
  });
});

describe("isLostReplica: a copy whose folder went while the data dir stayed", () => {
  // Found by a fault probe: one partition folder deleted (meta/ kept) and the broker back
  // within seconds: it led with an empty log from the ISR it was still in, its followers
  // truncated 100 acknowledged records to match, and offsets 0 to 4 were acknowledged again.
  test("a partition this broker held a log of, whose folder is gone, is lost (said once, naming the folder); one never held is not", async () => {
    const first = start(0);
    createTopic(first.broker, "t", 1);
    // Partition 0's log is opened here (copied, or written): it is held from now on.
    const lease = await first.host.replicaLease("t", "t-id", 0);
    lease!.release();
    expect(existsSync(join(first.dir, "t-0"))).toBe(true);
    expect([0, 1, 2].map((p) => first.host.isLostReplica("t", p))).toEqual([false, false, false]);
    // Its folder goes (not the data dir, whose birth is unknown: 0).
    await first.broker.close();
    open.splice(open.findIndex((o) => o.broker === first.broker), 1);
    rmSync(join(first.dir, "t-0"), { recursive: true, force: true });
    const warnings: string[] = [];
    const again = Broker.open(brokerConfig({ id: 1, dataDir: first.dir, port: 1 }), {
      metrics: new BrokerMetrics({ defaultMetrics: false }),
      directory: { self: BROKERS[0], brokers: () => BROKERS },
      warn: (m) => warnings.push(m),
      diskBornAt: 0,
    });
    open.push({ broker: again, dir: first.dir });
    const host = again.replicaHost();
    expect([0, 1, 2].map((p) => host.isLostReplica("t", p))).toEqual([true, false, false]);
    expect(host.isLostReplica("t", 0)).toBe(true);
    expect(warnings.filter((w) => w.includes("its log is not in this broker's data directory"))).toEqual([
      'partition 0 of topic "t": its log is not in this broker\'s data directory, where this broker held it before (its folder was deleted or lost). This broker leaves its in-sync replicas and copies the partition again from the leader',
    ]);
    // Copied again: no longer lost.
    const copy = await host.replicaLease("t", "t-id", 0);
    copy!.release();
    expect(host.isLostReplica("t", 0)).toBe(false);
  });

  test("a topic deleted and created again under the same name was never held here: its missing folder is not a loss", async () => {
    const { broker, host, dir } = start(0);
    createTopic(broker, "t", 1);
    const lease = await host.replicaLease("t", "t-id", 0);
    lease!.release();
    expect(readFileSync(join(dir, "meta", "held", "t-0"), "utf8")).toBe("t-id");
    broker.metadata.apply({ type: "delete-topic", topic: "t" });
    for (let i = 0; i < 100 && existsSync(join(dir, "t-0")); i++) await Bun.sleep(10);
    expect(existsSync(join(dir, "meta", "held", "t-0"))).toBe(false);
    // As if the deletion had not been seen through here (the broker down meanwhile): the old mark stays.
    markHeld(dir, { dir: join(dir, "t-0"), topicId: "t-id" } as PartitionState);
    expect(readFileSync(join(dir, "meta", "held", "t-0"), "utf8")).toBe("t-id");
    rmSync(join(dir, "t-0"), { recursive: true, force: true });
    broker.metadata.apply({ type: "create-topic", topic: "t", topicId: "t2-id", partitions: placePartitions(BROKERS, 3, 3), createdAt: 2 });
    expect([0, 1, 2].map((p) => host.isLostReplica("t", p))).toEqual([false, false, false]);
  });
});

