import { afterAll, beforeAll, expect, test } from "bun:test";
import { post } from "../helpers/cluster-http.ts";
import { type QuorumCluster, startQuorumCluster } from "../helpers/quorum-cluster.ts";

/**
 * A topic created through one broker is usable through every other at once, even one
 * that lags behind the quorum leader: a broker asked about a topic it does not know
 * first catches up with the metadata log (a read barrier), then answers.
 */

let cluster: QuorumCluster;

beforeAll(async () => {
  cluster = await startQuorumCluster(3);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

test("create through one broker, produce at once through a broker that has not fetched it yet", async () => {
  const leader = await cluster.leader();
  const [via, behind] = [1, 2, 3].filter((id) => id !== leader) as [number, number];
  for (let i = 0; i < 3; i++) {
    // The link from the lagging broker to the leader is cut for a moment (shorter than
    // its fetch timeout, so it stays a follower): the create commits on the leader and
    // the other follower, and the lagging broker has not fetched it when asked.
    cluster.network.cutLink(leader, behind);
    try {
      expect(await post(cluster.broker(via), "/create-topic", { topic: `fresh-${i}`, partitions: 1 })).toEqual({ status: 200, body: { status: "created" } });
    } finally {
      cluster.network.healLink(leader, behind);
    }
    expect(await post(cluster.broker(behind), "/produce", { topic: `fresh-${i}`, message: "first", partition: 0 })).toEqual({
      status: 200,
      body: { offset: 0, partition: 0 },
    });
  }
  // A topic that exists nowhere is still a 404, after the bounded wait.
  const missing = await post<{ error: string }>(cluster.broker(behind), "/produce", { topic: "never-made", message: "x" });
  expect([missing.status, missing.body.error]).toEqual([404, "TOPIC_NOT_FOUND"]);
}, 90_000);
