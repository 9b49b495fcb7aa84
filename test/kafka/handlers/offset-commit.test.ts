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

  test("metadata over offset.metadata.max.bytes (4096) is OFFSET_METADATA_TOO_LARGE for its partition only; the others are committed", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    await running.broker.createTopic("meta", 2);
    const commit = await client.call("OffsetCommit", 2, {
      groupId: "g",
      generationIdOrMemberEpoch: -1,
      memberId: "",
      topics: [
        {
          name: "meta",
          partitions: [
            { partitionIndex: 0, committedOffset: 3n, committedMetadata: "x".repeat(4097) },
            { partitionIndex: 1, committedOffset: 4n, committedMetadata: "y".repeat(4096) },
          ],
        },
      ],
    });
    expect(commit.topics[0].partitions.map((p) => [p.partitionIndex, p.errorCode])).toEqual([
      [0, KAFKA_ERROR.OFFSET_METADATA_TOO_LARGE],
      [1, KAFKA_ERROR.NONE],
    ]);
    const fetched = await client.call("OffsetFetch", 3, { groupId: "g", topics: [{ name: "meta", partitionIndexes: [0, 1] }] });
    expect(fetched.topics[0].partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata?.length])).toEqual([
      [0, -1n, 0],
      [1, 4n, 4096],
    ]);
  });

  test("an empty group id is INVALID_GROUP_ID for every group call, as Kafka answers", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    await running.broker.createTopic("t", 1);
    const commit = await client.call("OffsetCommit", 2, {
      groupId: "",
      generationIdOrMemberEpoch: -1,
      memberId: "",
      topics: [{ name: "t", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }],
    });
    expect(commit.topics[0].partitions[0].errorCode).toBe(KAFKA_ERROR.INVALID_GROUP_ID);
    const join = await client.call("JoinGroup", 5, {
      groupId: "",
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: "",
      groupInstanceId: null,
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: new Uint8Array(0) }],
    });
    expect(join.errorCode).toBe(KAFKA_ERROR.INVALID_GROUP_ID);
    const heartbeat = await client.call("Heartbeat", 3, { groupId: "", generationId: 1, memberId: "m", groupInstanceId: null });
    expect(heartbeat.errorCode).toBe(KAFKA_ERROR.INVALID_GROUP_ID);
    const leave = await client.call("LeaveGroup", 2, { groupId: "", memberId: "m" });
    expect(leave.errorCode).toBe(KAFKA_ERROR.INVALID_GROUP_ID);
  });

  // Found with real clients: kafkajs's admin.resetOffsets({ earliest: true }) commits -2,
  // which was refused (OFFSET_OUT_OF_RANGE), and the group was silently not reset.
  test("a negative offset (kafkajs resets a group by committing -2) is stored and fetched as given; HTTP shows no lag for it", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    await running.broker.createTopic("reset", 1);
    await running.broker.produce("reset", { key: null, value: new TextEncoder().encode("x"), headers: [], partition: 0 });
    const commit = await client.call("OffsetCommit", 2, {
      groupId: "r",
      generationIdOrMemberEpoch: -1,
      memberId: "",
      topics: [{ name: "reset", partitions: [{ partitionIndex: 0, committedOffset: -2n, committedMetadata: "" }] }],
    });
    expect(commit.topics[0].partitions[0].errorCode).toBe(KAFKA_ERROR.NONE);
    const fetched = await client.call("OffsetFetch", 3, { groupId: "r", topics: [{ name: "reset", partitionIndexes: [0] }] });
    expect([fetched.topics[0].partitions[0].errorCode, fetched.topics[0].partitions[0].committedOffset]).toEqual([KAFKA_ERROR.NONE, -2n]);
    const view = await running.broker.groups.describe("r");
    expect(view.partitions.map((p) => [p.partition, p.committedOffset, p.endOffset, p.lag])).toEqual([[0, -2, 1, null]]);
    // HTTP commits stay checked.
    const refused = await running.broker.groups.commit("h", { offsets: [{ topic: "reset", partition: 0, offset: -2 }] }).catch((e: unknown) => e);
    expect((refused as StreamNestError).code).toBe("INVALID_OFFSET");
  });
});
