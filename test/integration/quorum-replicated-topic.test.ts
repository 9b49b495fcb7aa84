import { afterAll, beforeAll, expect, test } from "bun:test";
import { post } from "../helpers/cluster-http.ts";
import { type QuorumCluster, startQuorumCluster } from "../helpers/quorum-cluster.ts";
import { replicatedTopic } from "../helpers/replication.ts";
import { untilTrue } from "../helpers/until.ts";

/**
 * The quorum leader places a new topic's partitions itself; it keeps the replication
 * factor the receiving broker chose. (It once placed every topic with one replica, so a
 * topic created with replication_factor 3 through the quorum had no followers at all.)
 */

let cluster: QuorumCluster;

beforeAll(async () => {
  cluster = await startQuorumCluster(3);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

test("a topic created with replication_factor 3 through a follower gets three replicas on every broker's view", async () => {
  const leader = await cluster.leader();
  const via = [1, 2, 3].find((id) => id !== leader)!;
  const answer = await post(cluster.broker(via), "/create-topic", { topic: "copied", partitions: 3, replication_factor: 3, min_insync_replicas: 2 });
  expect(answer).toEqual({ status: 200, body: { status: "created" } });
  const shape = async (id: number) => {
    const topic = await replicatedTopic(cluster.broker(id), "copied");
    return [topic.replication_factor, topic.min_insync_replicas, topic.partitions.map((p) => [p.partition, p.leader, p.replicas[0], [...p.replicas].sort()])];
  };
  const expected = [3, 2, [[0, 1, 1, [1, 2, 3]], [1, 2, 2, [1, 2, 3]], [2, 3, 3, [1, 2, 3]]]];
  // The broker that answered has applied the change; the others apply it as they fetch.
  expect(await shape(via)).toEqual(expected);
  for (const id of [1, 2, 3])
    await untilTrue(`broker ${id} showing the topic`, async () => JSON.stringify(await shape(id).catch(() => null)) === JSON.stringify(expected), 10_000);
}, 60_000);
