import { afterEach, describe, expect, test } from "bun:test";
import { KAFKA_ERROR } from "../../../src/kafka/protocol/index.ts";
import { RawClient, startInProcess } from "../support/in-process.ts";

/** Metadata over the wire to an in-process broker. */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe("Metadata", () => {
  test("a topic named many times is answered once, as Kafka takes the request's topics as a set", async () => {
    running = await startInProcess({ advertise: "127.0.0.1:0" });
    await running.broker.createTopic("known", 2);
    const client = await RawClient.connect(running.kafka.port);
    const topics = [...Array.from({ length: 5000 }, () => ({ name: "known" })), { name: "missing" }, { name: "known" }, { name: "missing" }];
    const answer = await client.call("Metadata", 4, { topics, allowAutoTopicCreation: false });
    expect(answer.topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([
      ["known", KAFKA_ERROR.NONE, 2],
      ["missing", KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION, 0],
    ]);
    client.end();
  });

  test("every topic includes the offsets topic flagged internal, as Kafka lists it; the others are not internal", async () => {
    running = await startInProcess({ advertise: "127.0.0.1:0" });
    const { broker } = running;
    await broker.createTopic("known", 1);
    const client = await RawClient.connect(running.kafka.port);
    const before = await client.call("Metadata", 12, { topics: null, allowAutoTopicCreation: false });
    expect(before.topics.map((t) => [t.name, t.isInternal])).toEqual([["known", false]]);
    // A group's commit makes the offsets topic exist.
    const commit = await client.call("OffsetCommit", 2, {
      groupId: "g",
      generationIdOrMemberEpoch: -1,
      memberId: "",
      topics: [{ name: "known", partitions: [{ partitionIndex: 0, committedOffset: 0n, committedMetadata: "" }] }],
    });
    expect(commit.topics[0].partitions[0].errorCode).toBe(KAFKA_ERROR.NONE);
    const after = await client.call("Metadata", 12, { topics: null, allowAutoTopicCreation: false });
    expect(after.topics.map((t) => [t.name, t.errorCode, t.isInternal]).sort()).toEqual([
      ["__consumer_offsets", KAFKA_ERROR.NONE, true],
      ["known", KAFKA_ERROR.NONE, false],
    ]);
    const named = await client.call("Metadata", 12, { topics: [{ name: "__consumer_offsets", topicId: undefined }], allowAutoTopicCreation: true });
    expect([named.topics[0].errorCode, named.topics[0].isInternal]).toEqual([KAFKA_ERROR.NONE, true]);
    expect(broker.listTopics()).toEqual(["known"]);
    client.end();
  });
});
