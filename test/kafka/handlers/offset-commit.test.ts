import { afterEach, describe, expect, test } from "bun:test";
import { StreamNestError } from "../../../src/lib/errors.ts";
import { KAFKA_ERROR } from "../../../src/kafka/protocol/index.ts";
import { RawClient, startInProcess } from "../support/in-process.ts";

/** OffsetCommit over the wire: any offset is stored, as Kafka stores it; HTTP commits stay checked. */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe("OffsetCommit", () => {
  test("an offset past the log's end is stored with its metadata (librdkafka's 0099 commits 42 of an empty topic)", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    await running.broker.createTopic("empty", 1);
    const commit = await client.call("OffsetCommit", 2, {
      groupId: "g",
      generationIdOrMemberEpoch: -1,
      memberId: "",
      topics: [{ name: "empty", partitions: [{ partitionIndex: 0, committedOffset: 42n, committedMetadata: "Hello world!" }] }],
    });
    expect(commit.topics[0].partitions[0].errorCode).toBe(KAFKA_ERROR.NONE);
    const fetched = await client.call("OffsetFetch", 3, { groupId: "g", topics: [{ name: "empty", partitionIndexes: [0] }] });
    const p = fetched.topics[0].partitions[0];
    expect([p.errorCode, p.committedOffset, p.metadata]).toEqual([KAFKA_ERROR.NONE, 42n, "Hello world!"]);
  });

  test("the core still refuses such an offset from a caller that does not ask for Kafka's rule (HTTP)", async () => {
    running = await startInProcess();
    await running.broker.createTopic("empty", 1);
    const refused = await running.broker.groups.commit("h", { offsets: [{ topic: "empty", partition: 0, offset: 42 }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StreamNestError);
    expect((refused as StreamNestError).code).toBe("OFFSET_OUT_OF_RANGE");
  });
});
