import { afterAll, beforeAll, expect, test } from "bun:test";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, eventually, post } from "../helpers/cluster-http.ts";
import { readAll, replicatedTopic } from "../helpers/replication.ts";

/**
 * A paused leader (SIGSTOP past the time its peers count it dead) is replaced; when it
 * wakes (SIGCONT) with a produce it took while frozen, it must not acknowledge it: its
 * followers now fetch from the new leader in a newer epoch, so the records it appends
 * never reach its ISR, and the answer says the outcome is unknown (Jepsen's Redpanda
 * and Kafka reports: a zombie leader acknowledging alone loses acknowledged writes).
 */

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster(3);
  await allAlive(cluster);
  expect((await post(cluster.broker(1), "/create-topic", { topic: "frozen", partitions: 1, replication_factor: 3 })).status).toBe(200);
  expect(await post(cluster.broker(2), "/produce", { topic: "frozen", message: "first", partition: 0 })).toEqual({
    status: 200,
    body: { offset: 0, partition: 0 },
  });
});
afterAll(async () => {
  cluster.broker(1).proc?.kill("SIGCONT");
  await cluster?.stop();
});

test("a leader woken after being replaced acknowledges nothing it took while frozen", async () => {
  const one = cluster.broker(1);
  one.proc?.kill("SIGSTOP");
  // Sent straight to the frozen leader: it reads the request only once it wakes.
  const zombieAnswer = post(one, "/produce", { topic: "frozen", message: "zombie", partition: 0, acks: "all" });
  try {
    await eventually(async () => (await replicatedTopic(cluster.broker(2), "frozen")).partitions[0].leader !== 1, "a new leader", 20_000);
    let answer = await post(cluster.broker(3), "/produce", { topic: "frozen", message: "second", partition: 0 });
    for (let tries = 0; answer.status !== 200 && tries < 50; tries++) {
      await Bun.sleep(100);
      answer = await post(cluster.broker(3), "/produce", { topic: "frozen", message: "second", partition: 0 });
    }
    expect(answer).toEqual({ status: 200, body: { offset: 1, partition: 0 } });
  } finally {
    one.proc?.kill("SIGCONT");
  }
  const zombie = await zombieAnswer;
  expect(zombie.status).not.toBe(200);
  const body = zombie.body as { error: string; message: string };
  expect(["REQUEST_TIMED_OUT", "LEADER_UNAVAILABLE", "NOT_LEADER_OR_FOLLOWER"]).toContain(body.error);
  if (body.error === "REQUEST_TIMED_OUT") expect(body.message).toContain("outcome is unknown");
  // The old leader rejoins as a follower; its "zombie" record is truncated away.
  await eventually(async () => (await replicatedTopic(cluster.broker(2), "frozen")).partitions[0].isr.length === 3, "broker 1 back in the ISR", 30_000);
  const records = await readAll(cluster.broker(2), "frozen", 0);
  expect(records.map((r) => r.message)).toEqual(["first", "second"]);
}, 90_000);
