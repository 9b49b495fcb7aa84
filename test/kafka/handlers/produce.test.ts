import { afterEach, describe, expect, test } from "bun:test";
import { COMPRESSION, decodeRecordBatches, encodeRecordBatch, encodeRequest, KAFKA_ERROR } from "../../../src/kafka/protocol/index.ts";
import { crc32c } from "../../../src/lib/crc32c.ts";
import { RawClient, startInProcess } from "../support/in-process.ts";

/** Produce over the wire to an in-process broker: idempotence, schemas, acks, and what Fetch and ListOffsets give back. */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const utf8 = (s: string) => new TextEncoder().encode(s);

function batch(values: string[], options: { producerId?: bigint; baseSequence?: number; timestamp?: bigint; compression?: (typeof COMPRESSION)[keyof typeof COMPRESSION] } = {}) {
  return encodeRecordBatch({
    producerId: options.producerId ?? -1n,
    producerEpoch: options.producerId === undefined ? -1 : 0,
    baseSequence: options.baseSequence ?? -1,
    compression: options.compression,
    records: values.map((v, i) => ({ key: utf8(`k${i}`), value: utf8(v), headers: [{ key: "h", value: utf8(v) }], timestamp: (options.timestamp ?? 1000n) + BigInt(i), offsetDelta: i })),
  });
}

async function setup() {
  running = await startInProcess();
  const client = await RawClient.connect(running.kafka.port);
  return { ...running, client };
}

async function produce(client: RawClient, topic: string, records: Uint8Array, acks = -1) {
  const answer = await client.call("Produce", 9, { acks, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  return answer.responses[0].partitionResponses[0];
}

describe("Produce", () => {
  test("a CreateTime past 2^53 - 1 ms is INVALID_TIMESTAMP, nothing written, not CORRUPT_MESSAGE (which clients retry)", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("far", 1);
    await broker.createTopic("far-typed", 1);
    // A topic with a schema takes the record-by-record path.
    await broker.registerSchema("far-typed", { type: "string" });
    for (const topic of ["far", "far-typed"])
      for (const timestamp of [2n ** 53n, 2n ** 62n, 2n ** 63n - 1n]) {
        const answer = await produce(client, topic, batch(['"a"'], { timestamp }));
        expect([topic, answer.errorCode, answer.errorMessage]).toEqual([
          topic,
          KAFKA_ERROR.INVALID_TIMESTAMP,
          `record 0: timestamp ${Number(timestamp)} ms is out of range; timestamps are stored up to 9007199254740991 ms`,
        ]);
      }
    // The largest stored, and the records around the refused ones, are as sent.
    const edge = await produce(client, "far", batch(['"z"'], { timestamp: 2n ** 53n - 1n }));
    expect([edge.errorCode, edge.baseOffset]).toEqual([KAFKA_ERROR.NONE, 0n]);
    expect(broker.describeTopic("far").partitions[0].endOffset).toBe(1);
    expect(broker.describeTopic("far-typed").partitions[0].endOffset).toBe(0);
    expect((await broker.fetch({ topic: "far", partition: 0, offset: 0 })).records.map((r) => r.timestamp)).toEqual([Number.MAX_SAFE_INTEGER]);
  });

  test('a topic named "__…" is an ordinary topic (auto-created, written); the internal topic is INVALID_TOPIC_EXCEPTION, as Kafka answers', async () => {
    const { client, broker } = await setup();
    const audit = await produce(client, "__audit", batch(["a", "b"]));
    expect([audit.errorCode, audit.baseOffset]).toEqual([KAFKA_ERROR.NONE, 0n]);
    expect(broker.describeTopic("__audit").partitions[0].endOffset).toBe(2);
    // Before and after a group's commit made the offsets topic exist.
    const before = await produce(client, "__consumer_offsets", batch(["x"]));
    expect([before.errorCode, before.errorMessage]).toEqual([
      KAFKA_ERROR.INVALID_TOPIC_EXCEPTION,
      "cannot append to internal topic __consumer_offsets; commit offsets through the consumer group",
    ]);
    const commit = await client.call("OffsetCommit", 2, {
      groupId: "g",
      generationIdOrMemberEpoch: -1,
      memberId: "",
      topics: [{ name: "__audit", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: "" }] }],
    });
    expect(commit.topics[0].partitions[0].errorCode).toBe(KAFKA_ERROR.NONE);
    const after = await produce(client, "__consumer_offsets", batch(["x"]));
    expect(after.errorCode).toBe(KAFKA_ERROR.INVALID_TOPIC_EXCEPTION);
  });

  test("an idempotent retry is answered with its first offset and not written twice; a gap is OUT_OF_ORDER_SEQUENCE_NUMBER", async () => {
    const { client, broker } = await setup();
    const init = await client.call("InitProducerId", 2, { transactionalId: null, transactionTimeoutMs: 1000 });
    expect(init.errorCode).toBe(KAFKA_ERROR.NONE);
    const producerId = init.producerId;
    const first = await produce(client, "idem", batch(["a", "b"], { producerId, baseSequence: 0 }));
    expect([first.errorCode, first.baseOffset]).toEqual([KAFKA_ERROR.NONE, 0n]);
    const second = await produce(client, "idem", batch(["c"], { producerId, baseSequence: 2 }));
    expect([second.errorCode, second.baseOffset]).toEqual([KAFKA_ERROR.NONE, 2n]);
    const retry = await produce(client, "idem", batch(["a", "b"], { producerId, baseSequence: 0 }));
    expect([retry.errorCode, retry.baseOffset]).toEqual([KAFKA_ERROR.NONE, 0n]);
    const gap = await produce(client, "idem", batch(["e"], { producerId, baseSequence: 7 }));
    expect(gap.errorCode).toBe(KAFKA_ERROR.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(broker.describeTopic("idem").partitions[0].endOffset).toBe(3);
  });

  test("a record the topic's schema refuses fails its whole batch with INVALID_RECORD, naming it and why", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("typed", 1);
    await broker.registerSchema("typed", { type: "object", properties: { n: { type: "number" } }, required: ["n"] });
    const answer = await produce(client, "typed", batch(['{"n":1}', '{"m":2}', '{"n":3}']));
    expect(answer.errorCode).toBe(KAFKA_ERROR.INVALID_RECORD);
    expect(answer.recordErrors.map((e) => e.batchIndex)).toEqual([1]);
    expect(answer.recordErrors[0].batchIndexErrorMessage).toContain("n");
    expect(broker.describeTopic("typed").partitions[0].endOffset).toBe(0);
  });

  // Two batches for one partition were appended one by one: the second refused (here a
  // sequence gap, or a transactional flag) left the first written under an error answer,
  // and a client retrying wrote it twice.
  test("two record batches for one partition are INVALID_RECORD, as Kafka answers from Produce v3 on, and neither is written", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("two", 1);
    const init = await client.call("InitProducerId", 2, { transactionalId: null, transactionTimeoutMs: 1000 });
    const producerId = init.producerId;
    const plain = Buffer.concat([batch(["a"]), batch(["b"])]);
    const idempotent = Buffer.concat([batch(["c"], { producerId, baseSequence: 0 }), batch(["d"], { producerId, baseSequence: 7 })]);
    for (const records of [plain, idempotent]) {
      const answer = await produce(client, "two", new Uint8Array(records));
      expect([answer.errorCode, answer.baseOffset, answer.errorMessage]).toEqual([
        KAFKA_ERROR.INVALID_RECORD,
        -1n,
        "a Produce request may carry exactly one record batch per partition, not 2",
      ]);
    }
    expect(broker.describeTopic("two").partitions[0].endOffset).toBe(0);
    // The producer's sequence was not advanced by the refused request: 0 is still next.
    const next = await produce(client, "two", batch(["c"], { producerId, baseSequence: 0 }));
    expect([next.errorCode, next.baseOffset]).toEqual([KAFKA_ERROR.NONE, 0n]);
  });

  test("a batch whose offset range does not match its record count is INVALID_RECORD and not written", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("span", 1);
    // lastOffsetDelta 5 over one record: the producer counted six.
    const lying = encodeRecordBatch({ records: [{ value: utf8("x"), timestamp: 1n, offsetDelta: 5 }] });
    const answer = await produce(client, "span", lying);
    expect([answer.errorCode, answer.errorMessage]).toEqual([
      KAFKA_ERROR.INVALID_RECORD,
      "inconsistent batch: its offsets span 6 (lastOffsetDelta 5) but it holds 1 record",
    ]);
    expect(broker.describeTopic("span").partitions[0].endOffset).toBe(0);
    const empty = await produce(client, "span", new Uint8Array(0));
    expect([empty.errorCode, empty.errorMessage]).toEqual([KAFKA_ERROR.INVALID_RECORD, "a Produce request must have a record batch for each partition it names"]);
    expect(broker.describeTopic("span").partitions[0].endOffset).toBe(0);
  });

  // Found by fuzzing: 16 connections each sending 97 KB of gzip that held 99 MB of records
  // took the broker to 3.3 GB; a batch may now decompress to 32 MiB at most.
  test("a batch that decompresses past 32 MiB is CORRUPT_MESSAGE naming the limit, and nothing is written", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("bomb", 1);
    const huge = new Uint8Array(32 * 1024 * 1024 + 1024);
    const bomb = encodeRecordBatch({ compression: COMPRESSION.gzip, records: [{ value: huge, timestamp: 1n }] });
    expect(bomb.length).toBeLessThan(100_000);
    const answer = await produce(client, "bomb", bomb);
    expect(answer.errorCode).toBe(KAFKA_ERROR.CORRUPT_MESSAGE);
    expect(answer.errorMessage).toContain(`limit ${32 * 1024 * 1024} bytes`);
    expect(broker.describeTopic("bomb").partitions[0].endOffset).toBe(0);
    // Under the limit, the same kind of batch is written.
    const fine = await produce(client, "bomb", encodeRecordBatch({ compression: COMPRESSION.gzip, records: [{ value: new Uint8Array(1 << 20), timestamp: 1n }] }));
    expect([fine.errorCode, fine.baseOffset]).toEqual([KAFKA_ERROR.NONE, 0n]);
  });

  // Found by fuzzing: a header key of bytes ff fe was answered NONE and read back as two U+FFFD.
  test("a header key that is not UTF-8 is INVALID_RECORD naming the record and header, and nothing is written", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("hk", 1);
    const good = encodeRecordBatch({ records: [{ value: utf8("v"), headers: [{ key: "\u00ff", value: utf8("x") }], timestamp: 1n }] });
    const bad = new Uint8Array(good);
    const at = bad.findIndex((b, i) => b === 0xc3 && bad[i + 1] === 0xbf);
    bad.set([0xff, 0xfe], at);
    new DataView(bad.buffer).setUint32(17, crc32c(bad.subarray(21)));
    const answer = await produce(client, "hk", bad);
    expect([answer.errorCode, answer.errorMessage]).toEqual([KAFKA_ERROR.INVALID_RECORD, "record 0: the key of header 0 is not valid UTF-8 (header keys are strings)"]);
    expect(broker.describeTopic("hk").partitions[0].endOffset).toBe(0);
    const fine = await produce(client, "hk", good);
    expect([fine.errorCode, fine.baseOffset]).toEqual([KAFKA_ERROR.NONE, 0n]);
  });

  test("acks=0 gets no answer; the next request's answer comes next", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("quiet", 1);
    client.write(encodeRequest("Produce", 7, { correlationId: 50, clientId: "raw" }, { acks: 0, timeoutMs: 1000, topicData: [{ name: "quiet", partitionData: [{ index: 0, records: batch(["q"]) }] }] }));
    const versions = await client.call("ApiVersions", 0, {});
    expect(versions.errorCode).toBe(KAFKA_ERROR.NONE);
    expect(broker.describeTopic("quiet").partitions[0].endOffset).toBe(1);
  });

  test("a failed acks=0 produce closes the connection with a log line, as Kafka does; other clients are served", async () => {
    const { client, broker, kafka, lines } = await setup();
    await broker.createTopic("quiet", 1);
    client.write(encodeRequest("Produce", 7, { correlationId: 51, clientId: "raw" }, { acks: 0, timeoutMs: 1000, topicData: [{ name: "quiet", partitionData: [{ index: 7, records: batch(["q"]) }] }] }));
    expect(await client.closedWithin(10_000)).toBe(true);
    expect(lines.some((l) => l.includes(`an acks=0 Produce failed (quiet[7] error ${KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION})`))).toBe(true);
    const other = await RawClient.connect(kafka.port);
    expect((await other.call("ApiVersions", 0, {})).errorCode).toBe(KAFKA_ERROR.NONE);
    other.end();
  });

  test("fetch gives back keys, values, headers and timestamps; ListOffsets finds earliest, latest and by timestamp", async () => {
    const { client } = await setup();
    await produce(client, "times", batch(["a", "b", "c"], { timestamp: 5000n, compression: COMPRESSION.zstd }));
    const fetched = await client.call("Fetch", 12, {
      maxWaitMs: 0,
      minBytes: 0,
      topics: [{ topic: "times", partitions: [{ partition: 0, fetchOffset: 1n, partitionMaxBytes: 1 << 20 }] }],
    });
    const p = fetched.responses[0].partitions[0];
    expect([p.errorCode, p.highWatermark, p.lastStableOffset, p.logStartOffset, fetched.sessionId]).toEqual([0, 3n, 3n, 0n, 0]);
    const records = decodeRecordBatches(p.records ?? new Uint8Array(0)).flatMap((b) => b.records);
    const dec = new TextDecoder();
    expect(records.map((r) => [r.offset, dec.decode(r.key ?? undefined), dec.decode(r.value ?? undefined), dec.decode(r.headers[0].value ?? undefined), r.timestamp])).toEqual([
      [1n, "k1", "b", "b", 5001n],
      [2n, "k2", "c", "c", 5002n],
    ]);
    const lookup = async (timestamp: bigint) => {
      const answer = await client.call("ListOffsets", 7, { topics: [{ name: "times", partitions: [{ partitionIndex: 0, timestamp }] }] });
      const q = answer.topics[0].partitions[0];
      return [q.offset, q.timestamp];
    };
    expect(await lookup(-2n)).toEqual([0n, -1n]);
    expect(await lookup(-1n)).toEqual([3n, -1n]);
    expect(await lookup(5001n)).toEqual([1n, 5001n]);
    expect(await lookup(4000n)).toEqual([0n, 5000n]);
    expect(await lookup(9999n)).toEqual([-1n, -1n]);
    expect(await lookup(-3n)).toEqual([2n, 5002n]);
  });

  test("a null value (tombstone) is stored and fetched as null, an empty value as empty", async () => {
    const { client, broker } = await setup();
    const records = encodeRecordBatch({
      records: [
        { key: utf8("gone"), value: null, headers: [], timestamp: 1n, offsetDelta: 0 },
        { key: utf8("blank"), value: new Uint8Array(0), headers: [], timestamp: 2n, offsetDelta: 1 },
      ],
    });
    expect((await produce(client, "tomb", records)).errorCode).toBe(KAFKA_ERROR.NONE);
    const fetched = await client.call("Fetch", 12, {
      maxWaitMs: 0,
      minBytes: 0,
      topics: [{ topic: "tomb", partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    });
    const back = decodeRecordBatches(fetched.responses[0].partitions[0].records ?? new Uint8Array(0)).flatMap((b) => b.records);
    expect(back.map((r) => [r.offset, r.value])).toEqual([
      [0n, null],
      [1n, new Uint8Array(0)],
    ]);
    const stored = await broker.fetch({ topic: "tomb", partition: 0, offset: 0 });
    expect(stored.records.map((r) => r.value)).toEqual([null, new Uint8Array(0)]);
  });

  test("a fetch past the end is OFFSET_OUT_OF_RANGE with the range; a session id is declined", async () => {
    const { client } = await setup();
    await produce(client, "range", batch(["a"]));
    const past = await client.call("Fetch", 11, { maxWaitMs: 0, minBytes: 0, topics: [{ topic: "range", partitions: [{ partition: 0, fetchOffset: 5n, partitionMaxBytes: 1024 }] }] });
    expect([past.responses[0].partitions[0].errorCode, past.responses[0].partitions[0].highWatermark]).toEqual([KAFKA_ERROR.OFFSET_OUT_OF_RANGE, 1n]);
    const session = await client.call("Fetch", 11, { maxWaitMs: 0, minBytes: 0, sessionId: 77, sessionEpoch: 1, topics: [] });
    expect([session.errorCode, session.sessionId]).toEqual([KAFKA_ERROR.FETCH_SESSION_ID_NOT_FOUND, 0]);
    // The final epoch (-1) closes a session and is a full fetch (KIP-227), whatever the id: answered sessionless.
    const closing = await client.call("Fetch", 11, {
      maxWaitMs: 0,
      minBytes: 0,
      sessionId: -5,
      sessionEpoch: -1,
      topics: [{ topic: "range", partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 }] }],
    });
    expect([closing.errorCode, closing.sessionId, closing.responses[0].partitions[0].errorCode, closing.responses[0].partitions[0].highWatermark]).toEqual([
      KAFKA_ERROR.NONE,
      0,
      KAFKA_ERROR.NONE,
      1n,
    ]);
  });
});

describe("transactions", () => {
  // Found with real clients: INVALID_REQUEST for the transaction coordinator made librdkafka
  // ask again every 500 ms, and init_transactions() hung until its timeout.
  test("a transaction coordinator and a transactional id are refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED, saying why", async () => {
    const { client } = await setup();
    const found = await client.call("FindCoordinator", 4, { keyType: 1, coordinatorKeys: ["txn-1"] });
    expect(found.coordinators.map((c) => [c.key, c.errorCode, c.errorMessage, c.nodeId])).toEqual([
      ["txn-1", KAFKA_ERROR.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, "transactions are not supported by StreamNest; use an idempotent producer (enable.idempotence) without transactional.id", -1],
    ]);
    const init = await client.call("InitProducerId", 2, { transactionalId: "txn-1", transactionTimeoutMs: 1000 });
    expect([init.errorCode, init.producerId]).toEqual([KAFKA_ERROR.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1n]);
    const group = await client.call("FindCoordinator", 4, { keyType: 0, coordinatorKeys: ["g"] });
    expect(group.coordinators[0].errorCode).toBe(KAFKA_ERROR.NONE);
    // Another key type (2, share groups, KIP-932; 9) is Kafka's INVALID_REQUEST, not a transactions refusal.
    for (const keyType of [2, 9]) {
      const other = await client.call("FindCoordinator", 4, { keyType, coordinatorKeys: ["k"] });
      expect(other.coordinators.map((c) => [c.errorCode, c.errorMessage, c.nodeId])).toEqual([
        [KAFKA_ERROR.INVALID_REQUEST, `coordinator key type ${keyType} is not 0 (group) or 1 (transaction)`, -1],
      ]);
    }
  });
});
