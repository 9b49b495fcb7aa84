import { afterEach, describe, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { KAFKA_ERROR } from "../../../src/kafka/protocol/index.ts";
import { RawClient, startInProcess } from "../support/in-process.ts";

/** CreatePartitions over the wire to an in-process broker, raw and through kafkajs's admin. */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function setup() {
  running = await startInProcess({ advertise: "127.0.0.1:0" });
  return { ...running, client: await RawClient.connect(running.kafka.port) };
}

describe("CreatePartitions", () => {
  test("grows topics; equal or fewer is INVALID_PARTITIONS; manual assignments, unknown and repeated topics are refused", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("a", 1);
    await broker.createTopic("b", 3);
    await broker.createTopic("c", 2);
    const answer = await client.call("CreatePartitions", 3, {
      topics: [
        { name: "a", count: 4, assignments: null },
        { name: "b", count: 3, assignments: null },
        { name: "c", count: 3, assignments: [{ brokerIds: [1] }] },
        { name: "missing", count: 2, assignments: null },
        { name: "twice", count: 2, assignments: null },
        { name: "twice", count: 3, assignments: null },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    });
    expect(answer.results.map((r) => [r.name, r.errorCode])).toEqual([
      ["a", KAFKA_ERROR.NONE],
      ["b", KAFKA_ERROR.INVALID_PARTITIONS],
      ["c", KAFKA_ERROR.INVALID_REPLICA_ASSIGNMENT],
      ["missing", KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION],
      ["twice", KAFKA_ERROR.INVALID_REQUEST],
      ["twice", KAFKA_ERROR.INVALID_REQUEST],
    ]);
    expect(answer.results[0].errorMessage).toBeNull();
    expect(answer.results[1].errorMessage).toBe('topic "b" already has 3 partitions');
    expect(broker.describeTopic("a").partitions.length).toBe(4);
    expect(broker.describeTopic("c").partitions.length).toBe(2);
    // Metadata shows the new partitions at once (v0, the oldest layout, as well).
    const meta = await client.call("Metadata", 0, { topics: [{ name: "a" }] });
    expect(meta.topics[0].partitions.map((p) => p.partitionIndex).sort()).toEqual([0, 1, 2, 3]);
  });

  test("validateOnly answers as a real change would, and changes nothing", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("dry", 2);
    const answer = await client.call("CreatePartitions", 0, {
      topics: [
        { name: "dry", count: 5, assignments: null },
        { name: "dry-missing", count: 5, assignments: null },
      ],
      timeoutMs: 5000,
      validateOnly: true,
    });
    expect(answer.results.map((r) => [r.name, r.errorCode])).toEqual([
      ["dry", KAFKA_ERROR.NONE],
      ["dry-missing", KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    expect(broker.describeTopic("dry").partitions.length).toBe(2);
  });

  test("kafkajs admin.createPartitions grows a topic and its producer writes to the new partition", async () => {
    const { broker, kafka: adapter } = await setup();
    const kafka = new Kafka({ clientId: "create-partitions", brokers: [`127.0.0.1:${adapter.port}`], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    try {
      await admin.createTopics({ topics: [{ topic: "kjs", numPartitions: 1 }] });
      await admin.createPartitions({ topicPartitions: [{ topic: "kjs", count: 3 }] });
      const meta = await admin.fetchTopicMetadata({ topics: ["kjs"] });
      expect(meta.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
      await expect(admin.createPartitions({ topicPartitions: [{ topic: "kjs", count: 2 }] })).rejects.toMatchObject({ type: "INVALID_PARTITIONS" });
      await producer.connect();
      const [ack] = await producer.send({ topic: "kjs", messages: [{ value: "to two", partition: 2 }] });
      expect([ack.partition, ack.baseOffset]).toEqual([2, "0"]);
      expect(broker.describeTopic("kjs").partitions[2].endOffset).toBe(1);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
