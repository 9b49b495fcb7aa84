import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CompressionTypes, type EachMessagePayload, Kafka, logLevel } from "kafkajs";
import { KafkaBroker } from "../helpers/kafka-broker.ts";
import { until } from "../helpers/until.ts";

/**
 * kafkajs (pure JavaScript, Kafka ≥ 0.10 protocol versions) against a real broker's
 * Kafka listener: admin calls, an idempotent producer with keys and headers, reading
 * from the beginning, a group of two members splitting partitions with commits, a
 * rejoin, resuming from committed offsets after a broker restart, and both doors
 * (HTTP produce read over Kafka, and the reverse).
 */

let broker: KafkaBroker;
let kafka: Kafka;

beforeAll(async () => {
  broker = await KafkaBroker.start();
  kafka = new Kafka({ clientId: "kafkajs-test", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8 } });
});

afterAll(async () => {
  await broker?.stop();
});

const text = (b: Buffer | null | undefined) => (b === null || b === undefined ? null : b.toString("utf8"));

/** Reads `count` messages of `topic` from the beginning with a fresh group. */
async function readAll(topic: string, count: number, groupId = `reader-${crypto.randomUUID()}`) {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  const got: EachMessagePayload[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async (m) => void got.push(m) });
    await until(`${count} messages of ${topic}`, async () => got.length, (n) => n >= count, 20_000);
  } finally {
    await consumer.disconnect();
  }
  return got.sort((a, b) => a.partition - b.partition || Number(a.message.offset) - Number(b.message.offset));
}

describe("kafkajs", () => {
  test("admin: create, list, describe, configs, delete", async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic: "admin-t", numPartitions: 3 }] })).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: "admin-t", numPartitions: 3 }] })).toBe(false);
      expect((await admin.listTopics()).includes("admin-t")).toBe(true);
      const meta = await admin.fetchTopicMetadata({ topics: ["admin-t"] });
      expect(meta.topics[0].partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr])).toEqual([
        [0, 1, [1], [1]],
        [1, 1, [1], [1]],
        [2, 1, [1], [1]],
      ]);
      const configs = await admin.describeConfigs({ resources: [{ type: 2, name: "admin-t" }], includeSynonyms: false });
      const names = configs.resources[0].configEntries.map((c) => c.configName).sort();
      expect(names).toEqual(["cleanup.policy", "max.message.bytes", "min.insync.replicas", "replication.factor", "retention.bytes", "retention.ms", "segment.bytes"]);
      await admin.deleteTopics({ topics: ["admin-t"] });
      expect((await admin.listTopics()).includes("admin-t")).toBe(false);
    } finally {
      await admin.disconnect();
    }
  });

  test("idempotent producer: keys, headers, timestamps read back exactly, every codec kafkajs has", async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
        const acks = await producer.send({
          topic: "idem",
          compression,
          messages: [0, 1, 2].map((i) => ({ key: `k${i}`, value: `v${compression}-${i}`, headers: { h: `x${i}` }, timestamp: String(1_700_000_000_000 + i) })),
        });
        expect(acks[0].errorCode).toBe(0);
      }
    } finally {
      await producer.disconnect();
    }
    const got = await readAll("idem", 6);
    expect(got.map((m) => [Number(m.message.offset), text(m.message.key), text(m.message.value), text(m.message.headers?.h as Buffer), m.message.timestamp])).toEqual([
      [0, "k0", "v0-0", "x0", "1700000000000"],
      [1, "k1", "v0-1", "x1", "1700000000001"],
      [2, "k2", "v0-2", "x2", "1700000000002"],
      [3, "k0", "v1-0", "x0", "1700000000000"],
      [4, "k1", "v1-1", "x1", "1700000000001"],
      [5, "k2", "v1-2", "x2", "1700000000002"],
    ]);
  });

  test("a group of two splits the partitions, commits, and the survivor takes all after a leave", async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "split", numPartitions: 4 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();

    const groupId = "split-group";
    const seen: Record<string, number[]> = { a: [], b: [] };
    const assigned: Record<string, number[]> = { a: [], b: [] };
    const members = ["a", "b"].map((name) => {
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, heartbeatInterval: 300, sessionTimeout: 10_000 });
      consumer.on(consumer.events.GROUP_JOIN, (e) => (assigned[name] = [...(e.payload.memberAssignment.split ?? [])].sort()));
      return { name, consumer };
    });
    for (const { name, consumer } of members) {
      await consumer.connect();
      await consumer.subscribe({ topic: "split", fromBeginning: true });
      await consumer.run({ eachMessage: async ({ partition }) => void seen[name].push(partition) });
    }
    await until("both members owning two partitions", async () => [assigned.a.length, assigned.b.length], ([a, b]) => a === 2 && b === 2, 30_000);
    expect([...assigned.a, ...assigned.b].sort()).toEqual([0, 1, 2, 3]);
    // Produced once the split is settled, so no rebalance can hand a message to both.
    await producer.send({ topic: "split", messages: [0, 1, 2, 3].map((p) => ({ partition: p, value: `p${p}` })) });
    await until("every partition read once", async () => seen.a.length + seen.b.length, (n) => n >= 4, 20_000);
    expect([seen.a.sort(), seen.b.sort()]).toEqual([assigned.a, assigned.b]);

    await members[1].consumer.disconnect();
    await until("the survivor owning all four", async () => assigned.a.length, (n) => n === 4, 30_000);
    await producer.send({ topic: "split", messages: [0, 1, 2, 3].map((p) => ({ partition: p, value: `again${p}` })) });
    await until("the survivor reading the new messages", async () => seen.a.length, (n) => n >= 6, 20_000);
    await members[0].consumer.disconnect();
    await producer.disconnect();
    // Each partition was read once by the group before the leave and once after.
    expect([...seen.a, ...seen.b].sort()).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);

    const http = (await (await fetch(`${broker.url}/groups/${groupId}`)).json()) as { partitions: { partition: number; committed_offset: number; lag: number }[] };
    expect(http.partitions.map((p) => [p.partition, p.committed_offset, p.lag])).toEqual([
      [0, 2, 0],
      [1, 2, 0],
      [2, 2, 0],
      [3, 2, 0],
    ]);
  }, 90_000);

  test("a group resumes from its committed offsets after a broker restart", async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "resume", messages: [0, 1, 2].map((i) => ({ value: `before-${i}` })) });
    await producer.disconnect();
    expect((await readAll("resume", 3, "resume-group")).map((m) => text(m.message.value))).toEqual(["before-0", "before-1", "before-2"]);

    await broker.restart();
    const again = kafka.producer();
    await again.connect();
    await again.send({ topic: "resume", messages: [{ value: "after-0" }] });
    await again.disconnect();
    const got = await readAll("resume", 1, "resume-group");
    expect(got.map((m) => [Number(m.message.offset), text(m.message.value)])).toEqual([[3, "after-0"]]);
  }, 90_000);

  test("one system, two doors: HTTP produce read over Kafka, Kafka produce read over HTTP", async () => {
    const create = await fetch(`${broker.url}/create-topic`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ topic: "doors", partitions: 1 }) });
    expect(create.status).toBe(200);
    const produced = await fetch(`${broker.url}/produce`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ topic: "doors", key: "hk", message: "from-http", headers: { src: "http" } }),
    });
    expect(produced.status).toBe(200);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "doors", messages: [{ key: "kk", value: "from-kafka", headers: { src: "kafka" }, timestamp: "1700000000123" }] });
    await producer.disconnect();

    const overKafka = await readAll("doors", 2);
    expect(overKafka.map((m) => [Number(m.message.offset), text(m.message.key), text(m.message.value), text(m.message.headers?.src as Buffer)])).toEqual([
      [0, "hk", "from-http", "http"],
      [1, "kk", "from-kafka", "kafka"],
    ]);
    const res = await fetch(`${broker.url}/topics/doors/partitions/0/records?offset=0&max=10`);
    const { records } = (await res.json()) as { records: { offset: number; key: string | null; message: string; headers: Record<string, string>; timestamp: number }[] };
    expect(records.map((r) => [r.offset, r.key, r.message, r.headers, r.timestamp === Number(overKafka[r.offset].message.timestamp)])).toEqual([
      [0, "hk", "from-http", { src: "http" }, true],
      [1, "kk", "from-kafka", { src: "kafka" }, true],
    ]);
    expect(records[1].timestamp).toBe(1700000000123);
  });

  test("a tombstone (null value) reads back as null over Kafka and over HTTP, an empty value as empty", async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "tombs", messages: [{ key: "gone", value: null }, { key: "blank", value: "" }] });
    await producer.disconnect();
    const overKafka = await readAll("tombs", 2);
    expect(overKafka.map((m) => [text(m.message.key), m.message.value === null ? null : text(m.message.value)])).toEqual([
      ["gone", null],
      ["blank", ""],
    ]);
    const res = await fetch(`${broker.url}/topics/tombs/partitions/0/records?offset=0&max=10`);
    const { records } = (await res.json()) as { records: { key: string | null; message: string | null }[] };
    expect(records.map((r) => [r.key, r.message])).toEqual([
      ["gone", null],
      ["blank", ""],
    ]);
  });

  test("a group id with a comma, a slash and non-ASCII (any string, as Kafka allows) consumes, commits and shows over HTTP", async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "odd-group", messages: [{ value: "a" }, { value: "b" }] });
    await producer.disconnect();
    const groupId = "roundrobin,range/é x";
    expect((await readAll("odd-group", 2, groupId)).map((m) => text(m.message.value))).toEqual(["a", "b"]);
    const res = await fetch(`${broker.url}/groups/${encodeURIComponent(groupId)}/offsets`);
    const body = (await res.json()) as { group: string; offsets: { topic: string; partition: number; offset: number }[] };
    expect([res.status, body.group, body.offsets.map((o) => [o.topic, o.partition, o.offset])]).toEqual([200, groupId, [["odd-group", 0, 2]]]);
  });
});

