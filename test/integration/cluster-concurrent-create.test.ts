import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, get, type MetadataAnswer, post } from "../helpers/cluster-http.ts";

/** Two brokers asked at once to create one topic: one outcome, which every broker agrees on. */

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster(3);
  await allAlive(cluster);
});
afterAll(async () => {
  await cluster?.stop();
});

async function agreed(): Promise<MetadataAnswer> {
  const answers = await Promise.all(cluster.brokers.map((b) => get<MetadataAnswer>(b, "/metadata")));
  for (const a of answers) expect(a.body).toEqual(answers[0].body);
  return answers[0].body;
}

describe("concurrent creates of one topic", () => {
  test("the same partition count on two brokers: one created, one exists", async () => {
    for (let round = 0; round < 5; round++) {
      const topic = `same-${round}`;
      const answers = await Promise.all([
        post<{ status: string }>(cluster.broker(2), "/create-topic", { topic, partitions: 4 }),
        post<{ status: string }>(cluster.broker(3), "/create-topic", { topic, partitions: 4 }),
      ]);
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      expect(answers.map((a) => a.body.status).sort()).toEqual(["created", "exists"]);
      const metadata = await agreed();
      expect(metadata.topic_partitions[topic].partitions.map((p) => p.leader)).toEqual([1, 2, 3, 1]);
    }
  });

  test("different partition counts on two brokers: one created, the other 409, all agree on the winner", async () => {
    for (let round = 0; round < 5; round++) {
      const topic = `differ-${round}`;
      const answers = await Promise.all([
        post<{ status?: string; error?: string }>(cluster.broker(1), "/create-topic", { topic, partitions: 2 }),
        post<{ status?: string; error?: string }>(cluster.broker(3), "/create-topic", { topic, partitions: 5 }),
      ]);
      const outcomes = answers.map((a) => `${a.status} ${a.body.status ?? a.body.error}`);
      expect([...outcomes].sort()).toEqual(["200 created", "409 TOPIC_EXISTS"]);
      const winner = answers[0].status === 200 ? 2 : 5;
      const metadata = await agreed();
      expect(metadata.topic_partitions[topic].partitions.length).toBe(winner);
    }
    const topics = await Promise.all(cluster.brokers.map((b) => get<{ topics: string[] }>(b, "/list-topics")));
    for (const t of topics) expect(t.body.topics).toEqual(topics[0].body.topics);
    expect(topics[0].body.topics.length).toBe(10);
  });
});
