import { afterEach, describe, expect, test } from "bun:test";
import { KAFKA_ERROR } from "../../../src/kafka/protocol/index.ts";
import { RawClient, startInProcess } from "../support/in-process.ts";

/** Fetch answers to partitions that fail, as librdkafka and Kafka expect them. */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe("Fetch", () => {
  test("a failed partition carries an empty record set, never null (librdkafka refuses a null one), with the log's range", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    await running.broker.createTopic("f", 1);
    for (const version of [5, 11, 12]) {
      const answer = await client.call("Fetch", version, {
        maxWaitMs: 0,
        minBytes: 0,
        topics: [
          { topic: "f", partitions: [{ partition: 0, fetchOffset: 9n, partitionMaxBytes: 1024 }] },
          { topic: "missing", partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 }] },
        ],
      });
      const [past, missing] = answer.responses.map((r) => r.partitions[0]);
      expect([past.errorCode, past.highWatermark, past.logStartOffset, past.records]).toEqual([KAFKA_ERROR.OFFSET_OUT_OF_RANGE, 0n, 0n, new Uint8Array(0)]);
      expect([missing.errorCode, missing.highWatermark, missing.records]).toEqual([KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION, -1n, new Uint8Array(0)]);
    }
  });
});
