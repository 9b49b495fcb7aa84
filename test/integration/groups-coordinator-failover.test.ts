import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { offsetsPartitionFor } from "../../src/groups/offsets-topic.ts";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, eventually, get, post } from "../helpers/cluster-http.ts";

/**
 * Issue 12's "`__consumer_offsets` is replicated like any topic" on three real brokers:
 * the internal topic gets min(3, brokers) replicas; a group's coordinator is the leader
 * of its offsets partition, so when that leader is killed (-9) the coordinator moves to
 * the partition's new leader, which answers every commit acknowledged before the kill;
 * and when the old broker comes back and leads again, it answers the commits made
 * meanwhile too.
 */

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3);
  await allAlive(cluster);
  expect((await post(cluster.broker(1), "/create-topic", { topic: "events", partitions: 4 })).status).toBe(200);
  const batch = Array.from({ length: 40 }, (_, i) => ({ message: `e-${i}`, partition: i % 4 }));
  expect((await post(cluster.broker(1), "/produce", { topic: "events", messages: batch })).status).toBe(200);
});
afterAll(async () => {
  await cluster?.stop();
});

interface OffsetsPartition {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  leader_epoch: number;
}

interface OffsetsTopic {
  replication_factor: number;
  min_insync_replicas: number;
  partitions: OffsetsPartition[];
}

async function offsetsTopic(via: number): Promise<OffsetsTopic> {
  const answer = await get<OffsetsTopic>(cluster.broker(via), "/topics/__consumer_offsets");
  if (answer.status !== 200) throw new Error(`GET /topics/__consumer_offsets answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

async function committed(via: number): Promise<{ status: number; offsets: Array<[number, number]> }> {
  const answer = await get<{ offsets?: Array<{ partition: number; offset: number }> }>(cluster.broker(via), "/groups/durable/offsets");
  return { status: answer.status, offsets: (answer.body.offsets ?? []).map((o) => [o.partition, o.offset]) };
}

async function coordinatorOf(via: number): Promise<number> {
  const answer = await get<{ coordinator: { id: number } }>(cluster.broker(via), "/groups/durable");
  if (answer.status !== 200) throw new Error(`GET /groups/durable answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.coordinator.id;
}

describe("a group's coordinator follows the leader of its __consumer_offsets partition", () => {
  let offsetsPartition = -1;
  let first = -1;

  test("the offsets topic is replicated three ways, and the coordinator is its partition's leader", async () => {
    const offsets = [0, 1, 2, 3].map((p) => ({ topic: "events", partition: p, offset: p + 1 }));
    // The first group call creates __consumer_offsets (12 partitions, 3 replicas each); on a
    // loaded machine that can outlast the proposal's wait, a retriable 503: asked again then.
    let answer = await post(cluster.broker(2), "/groups/durable/offsets", { offsets });
    for (let tries = 0; answer.status === 503 && tries < 20; tries++) {
      await Bun.sleep(250);
      answer = await post(cluster.broker(2), "/groups/durable/offsets", { offsets });
    }
    expect(answer).toEqual({ status: 200, body: { offsets: offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })) } });
    const topic = await offsetsTopic(3);
    expect([topic.replication_factor, topic.min_insync_replicas]).toEqual([3, 2]);
    offsetsPartition = offsetsPartitionFor("durable", topic.partitions.length);
    const p = topic.partitions[offsetsPartition];
    expect([...p.replicas].sort()).toEqual([1, 2, 3]);
    expect([...p.isr].sort()).toEqual([1, 2, 3]);
    first = await coordinatorOf(1);
    expect(first).toBe(p.leader);
  });

  test("kill -9 of the coordinator: the partition's new leader coordinates and answers every acknowledged commit", async () => {
    const survivor = first === 1 ? 2 : 1;
    await cluster.broker(first).kill9();
    await eventually(async () => (await offsetsTopic(survivor)).partitions[offsetsPartition].leader !== first, "a new leader of the group's offsets partition", 20_000);
    const p = (await offsetsTopic(survivor)).partitions[offsetsPartition];
    expect(p.leader_epoch).toBe(1);
    expect(p.isr).not.toContain(first);
    // Every broker may take a moment to learn of the election; then each names the new leader.
    for (const via of [1, 2, 3].filter((b) => b !== first))
      await eventually(async () => (await coordinatorOf(via)) === p.leader, `broker ${via} naming the new coordinator`, 10_000);
    for (const via of [1, 2, 3].filter((b) => b !== first))
      expect(await committed(via)).toEqual({ status: 200, offsets: [[0, 1], [1, 2], [2, 3], [3, 4]] });
    // Two of three replicas are in sync (min ISR 2): commits go on, on the new coordinator.
    expect((await post(cluster.broker(survivor), "/groups/durable/offsets", { offsets: [{ topic: "events", partition: 2, offset: 9 }] })).status).toBe(200);
    expect(await committed(survivor)).toEqual({ status: 200, offsets: [[0, 1], [1, 2], [2, 9], [3, 4]] });
  });

  test("the old coordinator comes back, catches up and leads again: it answers the commits made while it was gone", async () => {
    await cluster.broker(first).start();
    // Back in the ISR, it takes its preferred leadership back (the automatic preferred-leader
    // rebalance) in epoch 2. The epoch is checked: a broker restarted on its saved metadata
    // first shows its pre-crash view (itself leading in epoch 0) until it catches up.
    await eventually(async () => {
      const p = (await offsetsTopic(first)).partitions[offsetsPartition];
      return p.leader === first && p.isr.length === 3 && p.leader_epoch === 2;
    }, "the restarted broker leading its preferred offsets partition again, in epoch 2", 40_000);
    await eventually(async () => (await coordinatorOf(first)) === first, "the restarted broker coordinating again", 10_000);
    for (const via of [1, 2, 3]) expect(await committed(via)).toEqual({ status: 200, offsets: [[0, 1], [1, 2], [2, 9], [3, 4]] });
  });
});
