import { afterEach, describe, expect, test } from "bun:test";
import { KAFKA_ERROR } from "../../../src/kafka/protocol/index.ts";
import { RawClient, startInProcess } from "../support/in-process.ts";

/** DeleteTopics over the wire to an in-process broker. */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe("DeleteTopics", () => {
  test("many topics in one request are all deleted, answered in the request's order; a missing one fails alone", async () => {
    running = await startInProcess({ advertise: "127.0.0.1:0" });
    const client = await RawClient.connect(running.kafka.port);
    const names = Array.from({ length: 20 }, (_, i) => `doomed-${i}`);
    for (const name of names) await running.broker.createTopic(name, 2);
    await running.broker.createTopic("kept", 1);
    const answer = await client.call("DeleteTopics", 4, { topicNames: [...names.slice(0, 10), "missing", ...names.slice(10)], timeoutMs: 30_000 });
    expect(answer.responses.map((r) => [r.name, r.errorCode])).toEqual([
      ...names.slice(0, 10).map((n) => [n, KAFKA_ERROR.NONE]),
      ["missing", KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION],
      ...names.slice(10).map((n) => [n, KAFKA_ERROR.NONE]),
    ]);
    expect(running.broker.listTopics()).toEqual(["kept"]);
  });
});
