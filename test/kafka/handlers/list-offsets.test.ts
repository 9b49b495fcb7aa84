import { afterEach, describe, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { encodeRecordBatch, KAFKA_ERROR } from "../../../src/kafka/protocol/index.ts";
import { RawClient, startInProcess } from "../support/in-process.ts";

/**
 * ListOffsets by timestamp over the wire to an in-process broker: the first offset whose
 * timestamp is at or after the one asked, in offset order (as Kafka's time index lookup
 * finds it), across more records than one scan step, per partition, with errors per
 * partition; and kafkajs's admin.fetchTopicOffsetsByTimestamp.
 */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function setup() {
  running = await startInProcess({ advertise: "127.0.0.1:0" });
  return { ...running, client: await RawClient.connect(running.kafka.port) };
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** Produces one batch of records with these timestamps to topic/partition. */
async function produceAt(client: RawClient, topic: string, partition: number, timestamps: bigint[]): Promise<void> {
  const records = encodeRecordBatch({
    records: timestamps.map((timestamp, i) => ({ key: null, value: utf8(`v${i}`), headers: [], timestamp, offsetDelta: i })),
  });
  const answer = await client.call("Produce", 9, { acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  expect(answer.responses[0].partitionResponses[0].errorCode).toBe(KAFKA_ERROR.NONE);
}

async function offsetFor(client: RawClient, topic: string, partition: number, timestamp: bigint, version = 7) {
  const answer = await client.call("ListOffsets", version, { topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp }] }] });
  const p = answer.topics[0].partitions[0];
  return [p.errorCode, p.offset, p.timestamp];
}

describe("ListOffsets by timestamp", () => {
  test("timestamps out of order: the first offset, in offset order, at or after the timestamp", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("ts", 1);
    await produceAt(client, "ts", 0, [100n, 300n, 200n]);
    await produceAt(client, "ts", 0, [250n, 400n]);
    expect(await offsetFor(client, "ts", 0, 50n)).toEqual([0, 0n, 100n]);
    expect(await offsetFor(client, "ts", 0, 100n)).toEqual([0, 0n, 100n]);
    expect(await offsetFor(client, "ts", 0, 150n)).toEqual([0, 1n, 300n]);
    expect(await offsetFor(client, "ts", 0, 301n)).toEqual([0, 4n, 400n]);
    // Nothing at or after it: offset and timestamp -1 (v1+), as Kafka answers.
    expect(await offsetFor(client, "ts", 0, 401n)).toEqual([0, -1n, -1n]);
    // v1, the oldest version with the single-offset answer, finds the same.
    expect(await offsetFor(client, "ts", 0, 150n, 1)).toEqual([0, 1n, 300n]);
  });

  test("beyond one scan step: the 5,600th record is found by its timestamp", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("many", 1);
    await produceAt(client, "many", 0, Array.from({ length: 6000 }, (_, i) => 10_000n + BigInt(i)));
    expect(await offsetFor(client, "many", 0, 15_600n)).toEqual([0, 5600n, 15_600n]);
    expect(await offsetFor(client, "many", 0, 15_999n)).toEqual([0, 5999n, 15_999n]);
    expect(await offsetFor(client, "many", 0, 16_000n)).toEqual([0, -1n, -1n]);
  });

  test("each partition is looked up on its own; an unknown partition or topic fails alone", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("parts", 2);
    await produceAt(client, "parts", 0, [1000n, 2000n]);
    await produceAt(client, "parts", 1, [1500n, 2500n, 3500n]);
    const answer = await client.call("ListOffsets", 7, {
      topics: [
        {
          name: "parts",
          partitions: [
            { partitionIndex: 0, timestamp: 1500n },
            { partitionIndex: 1, timestamp: 1500n },
            { partitionIndex: 2, timestamp: 1500n },
          ],
        },
        { name: "missing", partitions: [{ partitionIndex: 0, timestamp: 1500n }] },
      ],
    });
    expect(answer.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode, p.offset, p.timestamp])])).toEqual([
      [
        "parts",
        [
          [0, KAFKA_ERROR.NONE, 1n, 2000n],
          [1, KAFKA_ERROR.NONE, 0n, 1500n],
          [2, KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION, -1n, -1n],
        ],
      ],
      ["missing", [[0, KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION, -1n, -1n]]],
    ]);
  });

  test("kafkajs admin.fetchTopicOffsetsByTimestamp (past the last record kafkajs falls back to the high watermark itself)", async () => {
    const { client, broker, kafka: adapter } = await setup();
    await broker.createTopic("kjs-ts", 2);
    await produceAt(client, "kjs-ts", 0, [1000n, 2000n, 3000n]);
    await produceAt(client, "kjs-ts", 1, [5000n]);
    const kafka = new Kafka({ clientId: "list-offsets", brokers: [`127.0.0.1:${adapter.port}`], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsetsByTimestamp("kjs-ts", 1500);
      expect(offsets.sort((a, b) => a.partition - b.partition)).toEqual([
        { partition: 0, offset: "1" },
        { partition: 1, offset: "0" },
      ]);
      const late = await admin.fetchTopicOffsetsByTimestamp("kjs-ts", 4000);
      expect(late.sort((a, b) => a.partition - b.partition)).toEqual([
        { partition: 0, offset: "3" },
        { partition: 1, offset: "0" },
      ]);
    } finally {
      await admin.disconnect();
    }
  });

  test("every entry of a partition named more than once is INVALID_REQUEST, as Kafka answers; the others are looked up", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("dup", 2);
    await produceAt(client, "dup", 0, [10n, 20n]);
    await produceAt(client, "dup", 1, [30n]);
    const answer = await client.call("ListOffsets", 7, {
      topics: [
        { name: "dup", partitions: [{ partitionIndex: 0, timestamp: 15n }, { partitionIndex: 1, timestamp: -1n }] },
        { name: "dup", partitions: [{ partitionIndex: 0, timestamp: -2n }] },
      ],
    });
    expect(answer.topics.map((t) => t.partitions.map((p) => [p.partitionIndex, p.errorCode, p.offset]))).toEqual([
      [
        [0, KAFKA_ERROR.INVALID_REQUEST, -1n],
        [1, KAFKA_ERROR.NONE, 1n],
      ],
      [[0, KAFKA_ERROR.INVALID_REQUEST, -1n]],
    ]);
  });
});
