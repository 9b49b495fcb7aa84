import { afterEach, describe, expect, test } from "bun:test";
import { decodeRecordBatches, KAFKA_ERROR } from "../../../src/kafka/protocol/index.ts";
import { RawClient, startInProcess } from "../support/in-process.ts";

/** Fetch answers to partitions that fail, as librdkafka and Kafka expect them. */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe("Fetch", () => {
  test("the client's current leader epoch is checked (KIP-320): behind is FENCED_LEADER_EPOCH, ahead is UNKNOWN_LEADER_EPOCH; ListOffsets too", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    const { broker } = running;
    await broker.createTopic("epochs", 1);
    await broker.produce("epochs", { key: null, value: new TextEncoder().encode("a"), headers: [], partition: 0 });
    const fetchAt = async (currentLeaderEpoch: number) =>
      (
        await client.call("Fetch", 12, {
          maxWaitMs: 0,
          minBytes: 0,
          topics: [{ topic: "epochs", partitions: [{ partition: 0, currentLeaderEpoch, fetchOffset: 0n, partitionMaxBytes: 1024 }] }],
        })
      ).responses[0].partitions[0];
    const listAt = async (currentLeaderEpoch: number) =>
      (await client.call("ListOffsets", 7, { topics: [{ name: "epochs", partitions: [{ partitionIndex: 0, currentLeaderEpoch, timestamp: -1n }] }] })).topics[0].partitions[0];
    expect(broker.describeTopic("epochs").partitions[0].leaderEpoch).toBe(0);
    for (const known of [-1, 0]) {
      const read = await fetchAt(known);
      expect([read.errorCode, read.highWatermark]).toEqual([KAFKA_ERROR.NONE, 1n]);
      expect(decodeRecordBatches(read.records ?? new Uint8Array(0))[0].records.length).toBe(1);
      expect([(await listAt(known)).errorCode, (await listAt(known)).offset]).toEqual([KAFKA_ERROR.NONE, 1n]);
    }
    const ahead = await fetchAt(1);
    expect([ahead.errorCode, ahead.records]).toEqual([KAFKA_ERROR.UNKNOWN_LEADER_EPOCH, new Uint8Array(0)]);
    expect((await listAt(1)).errorCode).toBe(KAFKA_ERROR.UNKNOWN_LEADER_EPOCH);
    // The partition moves to epoch 1 (a new leader's, as the quorum records it): a client still at 0 is fenced.
    const meta = broker.metadata.topic("epochs")!;
    broker.metadata.apply({
      type: "alter-partition",
      topic: "epochs",
      topicId: meta.id,
      partition: 0,
      leader: 1,
      isr: [1],
      leaderEpoch: 1,
      partitionEpoch: 1,
      expectedLeaderEpoch: 0,
      expectedPartitionEpoch: 0,
    });
    const stale = await fetchAt(0);
    expect([stale.errorCode, stale.records]).toEqual([KAFKA_ERROR.FENCED_LEADER_EPOCH, new Uint8Array(0)]);
    expect((await listAt(0)).errorCode).toBe(KAFKA_ERROR.FENCED_LEADER_EPOCH);
    expect((await listAt(2)).errorCode).toBe(KAFKA_ERROR.UNKNOWN_LEADER_EPOCH);
    // Older versions carry no epoch (-1): never fenced.
    const v5 = await client.call("Fetch", 5, { maxWaitMs: 0, minBytes: 0, topics: [{ topic: "epochs", partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 }] }] });
    expect([v5.responses[0].partitions[0].errorCode, v5.responses[0].partitions[0].highWatermark]).toEqual([KAFKA_ERROR.NONE, 1n]);
  });

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

  // Found by fuzzing: every repeat was answered with the first one's planned batch, whose
  // second encoding threw, and the connection was closed with an internal error.
  test("a partition named twice is read once: its records in the first entry, none in the repeat, the connection still serving", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    await running.broker.createTopic("dup", 1);
    for (const v of ["a", "b"]) await running.broker.produce("dup", { key: null, value: new TextEncoder().encode(v), headers: [], partition: 0 });
    const twice = { partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 };
    const answer = await client.call("Fetch", 12, { maxWaitMs: 0, minBytes: 0, topics: [{ topic: "dup", partitions: [twice, twice, twice] }] });
    const parts = answer.responses[0].partitions;
    expect(parts.map((p) => [p.partitionIndex, p.errorCode, p.highWatermark])).toEqual([
      [0, KAFKA_ERROR.NONE, 2n],
      [0, KAFKA_ERROR.NONE, 2n],
      [0, KAFKA_ERROR.NONE, 2n],
    ]);
    const values = (records: Uint8Array | null) => decodeRecordBatches(records ?? new Uint8Array(0)).flatMap((b) => b.records.map((r) => new TextDecoder().decode(r.value ?? new Uint8Array(0))));
    expect(parts.map((p) => values(p.records))).toEqual([["a", "b"], [], []]);
    const after = await client.call("Fetch", 12, { maxWaitMs: 0, minBytes: 0, topics: [{ topic: "dup", partitions: [{ ...twice, fetchOffset: 1n }] }] });
    expect(values(after.responses[0].partitions[0].records)).toEqual(["b"]);
  });

  test("the request's max bytes bounds the answer: only the first partition's first record may exceed it (KIP-74)", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    await running.broker.createTopic("big", 2);
    const value = new TextEncoder().encode("x".repeat(4000));
    for (const partition of [0, 1])
      for (let i = 0; i < 3; i++) await running.broker.produce("big", { key: null, value, headers: [], partition });
    const counts = async (maxBytes: number) => {
      const answer = await client.call("Fetch", 12, {
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes,
        topics: [{ topic: "big", partitions: [0, 1].map((partition) => ({ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20 })) }],
      });
      const parts = answer.responses[0].partitions;
      const sizes = parts.map((p) => p.records?.length ?? 0);
      return { records: parts.map((p) => decodeRecordBatches(p.records ?? new Uint8Array(0)).flatMap((b) => b.records).length), bytes: sizes[0] + sizes[1] };
    };
    const ten = await counts(10_000);
    expect(ten.records).toEqual([2, 0]);
    expect(ten.bytes).toBeLessThanOrEqual(10_000);
    // Smaller than one record: the first partition's first record still comes, nothing else.
    expect((await counts(100)).records).toEqual([1, 0]);
    // Room for everything.
    expect((await counts(1 << 20)).records).toEqual([3, 3]);
  });

  test("each partition of a many-partition fetch gets its own read, across topics and in the request's order", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    await running.broker.createTopic("a", 3);
    await running.broker.createTopic("b", 2);
    const enc = new TextEncoder();
    for (const [topic, count] of [["a", 3], ["b", 2]] as const)
      for (let partition = 0; partition < count; partition++)
        await running.broker.produce(topic, { key: null, value: enc.encode(`${topic}${partition}`), headers: [], partition });
    const answer = await client.call("Fetch", 12, {
      maxWaitMs: 0,
      minBytes: 0,
      topics: [
        { topic: "b", partitions: [1, 0].map((partition) => ({ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20 })) },
        { topic: "a", partitions: [2, 0, 1, 7].map((partition) => ({ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20 })) },
      ],
    });
    const dec = new TextDecoder();
    const got = answer.responses.map((r) =>
      r.partitions.map((p) => [p.partitionIndex, p.errorCode, ...decodeRecordBatches(p.records ?? new Uint8Array(0)).flatMap((b) => b.records.map((x) => dec.decode(x.value ?? undefined)))]),
    );
    expect(got).toEqual([
      [
        [1, KAFKA_ERROR.NONE, "b1"],
        [0, KAFKA_ERROR.NONE, "b0"],
      ],
      [
        [2, KAFKA_ERROR.NONE, "a2"],
        [0, KAFKA_ERROR.NONE, "a0"],
        [1, KAFKA_ERROR.NONE, "a1"],
        [7, KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    ]);
  });

  test("an isolation level other than read_uncommitted (0) or read_committed (1) is INVALID_REQUEST, for Fetch and ListOffsets; both known ones read", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    await running.broker.createTopic("levels", 1);
    await running.broker.produce("levels", { key: null, value: new TextEncoder().encode("a"), headers: [], partition: 0 });
    const fetchAt = (isolationLevel: number, version = 12) =>
      client.call("Fetch", version, {
        maxWaitMs: 0,
        minBytes: 0,
        isolationLevel,
        topics: [{ topic: "levels", partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, partitionMaxBytes: 1024 }] }],
      });
    const listAt = async (isolationLevel: number) =>
      (await client.call("ListOffsets", 7, { isolationLevel, topics: [{ name: "levels", partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] })).topics[0]
        .partitions[0];
    for (const level of [0, 1]) {
      const read = await fetchAt(level);
      expect([read.errorCode, read.responses[0].partitions[0].errorCode, read.responses[0].partitions[0].highWatermark]).toEqual([KAFKA_ERROR.NONE, KAFKA_ERROR.NONE, 1n]);
      expect([(await listAt(level)).errorCode, (await listAt(level)).offset]).toEqual([KAFKA_ERROR.NONE, 1n]);
    }
    for (const level of [2, -1, 127]) {
      const read = await fetchAt(level);
      expect([read.errorCode, read.responses[0].partitions[0].errorCode, read.responses[0].partitions[0].records]).toEqual([
        KAFKA_ERROR.INVALID_REQUEST,
        KAFKA_ERROR.INVALID_REQUEST,
        new Uint8Array(0),
      ]);
      // v5: no top-level error code; the partition says it.
      expect((await fetchAt(level, 5)).responses[0].partitions[0].errorCode).toBe(KAFKA_ERROR.INVALID_REQUEST);
      expect((await listAt(level)).errorCode).toBe(KAFKA_ERROR.INVALID_REQUEST);
    }
    // ListOffsets before v2 has no such field: v1 reads.
    const v1 = await client.call("ListOffsets", 1, { topics: [{ name: "levels", partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
    expect([v1.topics[0].partitions[0].errorCode, v1.topics[0].partitions[0].offset]).toEqual([KAFKA_ERROR.NONE, 1n]);
  });
});
