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
});
