import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { encodeRecordBatch, KAFKA_ERROR } from "../../src/kafka/protocol/index.ts";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, eventually, get, post } from "../helpers/cluster-http.ts";
import { until } from "../helpers/until.ts";
import { RawClient } from "../kafka/support/in-process.ts";

/**
 * A Kafka client's view of a dead leader (issue 12): Metadata names no leader for its
 * partitions (-1, LEADER_NOT_AVAILABLE, the dead broker's replicas offline), and a
 * Produce for one of them is LEADER_NOT_AVAILABLE, not NOT_LEADER_OR_FOLLOWER naming a
 * broker that cannot answer; a partition led by a live broker elsewhere is still
 * NOT_LEADER_OR_FOLLOWER. Either way the client refreshes its metadata and retries.
 */

setDefaultTimeout(90_000);

const KAFKA_LINE = /^Kafka listener on :(\d+)/m;
let cluster: TestCluster;
let client: RawClient;

beforeAll(async () => {
  cluster = await startCluster(3, { args: ["--kafka-port=auto"] });
  await allAlive(cluster);
  client = await RawClient.connect(Number(KAFKA_LINE.exec(cluster.broker(1).output)?.[1]));
});
afterAll(async () => {
  client?.end();
  await cluster?.stop();
});

const records = () => encodeRecordBatch({ records: [{ value: new TextEncoder().encode("x"), timestamp: 1n }] });

describe("Kafka with a partition's only replica down", () => {
  test("Metadata: no leader and the replica offline; Produce: LEADER_NOT_AVAILABLE; a live leader elsewhere: NOT_LEADER_OR_FOLLOWER", async () => {
    expect((await post(cluster.broker(1), "/create-topic", { topic: "gone", partitions: 3, replication_factor: 1 })).status).toBe(200);
    const before = await until(
      "every partition with its leader",
      () => client.call("Metadata", 12, { topics: [{ name: "gone" }], allowAutoTopicCreation: false }),
      (m) => m.topics[0].partitions.length === 3 && m.brokers.length === 3,
      20_000,
    );
    expect(before.topics[0].partitions.map((p) => [p.partitionIndex, p.errorCode, p.leaderId])).toEqual([
      [0, KAFKA_ERROR.NONE, 1],
      [1, KAFKA_ERROR.NONE, 2],
      [2, KAFKA_ERROR.NONE, 3],
    ]);
    await cluster.broker(3).kill9();
    const after = await until(
      "broker 1 counting broker 3 down",
      () => client.call("Metadata", 12, { topics: [{ name: "gone" }], allowAutoTopicCreation: false }),
      (m) => m.topics[0].partitions[2].leaderId === -1,
      20_000,
    );
    // As a KRaft broker lists unfenced brokers only: nothing is sent to the dead one.
    expect([after.brokers.map((b) => b.nodeId), after.controllerId]).toEqual([[1, 2], 1]);
    expect(after.topics[0].partitions.map((p) => [p.partitionIndex, p.errorCode, p.leaderId, p.replicaNodes, p.isrNodes, p.offlineReplicas])).toEqual([
      [0, KAFKA_ERROR.NONE, 1, [1], [1], []],
      [1, KAFKA_ERROR.NONE, 2, [2], [2], []],
      [2, KAFKA_ERROR.LEADER_NOT_AVAILABLE, -1, [3], [3], [3]],
    ]);
    // Broker 1 holds no replica of partition 2, and still counts it offline, in /metrics
    // as in /cluster (an alert on the metric never fired for such a partition).
    const metrics = await (await fetch(`http://${cluster.broker(1).address}/metrics`)).text();
    expect(/^streamnest_offline_partitions (\d+)$/m.exec(metrics)?.[1]).toBe("1");
    expect((await get<{ offline_partitions?: number }>(cluster.broker(1), "/cluster")).body.offline_partitions).toBe(1);
    const produce = async (partition: number) =>
      (await client.call("Produce", 9, { acks: -1, timeoutMs: 1000, topicData: [{ name: "gone", partitionData: [{ index: partition, records: records() }] }] }))
        .responses[0].partitionResponses[0];
    const dead = await produce(2);
    expect(dead.errorCode).toBe(KAFKA_ERROR.LEADER_NOT_AVAILABLE);
    expect(dead.errorMessage).toBe(`partition 2 of topic "gone" has no leader available: its leader, broker 3 (${cluster.broker(3).address}), is down`);
    expect((await produce(1)).errorCode).toBe(KAFKA_ERROR.NOT_LEADER_OR_FOLLOWER);
    expect((await produce(0)).errorCode).toBe(KAFKA_ERROR.NONE);
    await cluster.broker(3).start();
    await eventually(async () => {
      const m = await client.call("Metadata", 12, { topics: [{ name: "gone" }], allowAutoTopicCreation: false });
      return m.topics[0].partitions[2].leaderId === 3;
    }, "broker 3 leading partition 2 again");
  });
});

// Found by a tester: with broker 1 down (or frozen), Metadata still named it the
// controller, and every CreateTopics, DeleteTopics, CreatePartitions and AlterConfigs of
// librdkafka and kafka-python timed out waiting for it.
test("with the lowest broker down, Metadata names a live controller, which creates a topic", async () => {
  const second = await RawClient.connect(Number(KAFKA_LINE.exec(cluster.broker(2).output)?.[1]));
  try {
    await cluster.broker(1).kill9();
    const seen = await until(
      "broker 2 counting broker 1 down",
      () => second.call("Metadata", 12, { topics: [], allowAutoTopicCreation: false }),
      (m) => m.brokers.length === 2,
      20_000,
    );
    expect([seen.brokers.map((b) => b.nodeId).sort(), seen.controllerId]).toEqual([[2, 3], 2]);
    const created = await second.call("CreateTopics", 5, {
      topics: [{ name: "while-one-is-down", numPartitions: 2, replicationFactor: 2, assignments: [], configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    expect(created.topics.map((t) => [t.name, t.errorCode])).toEqual([["while-one-is-down", KAFKA_ERROR.NONE]]);
  } finally {
    second.end();
    await cluster.broker(1).start();
  }
});
