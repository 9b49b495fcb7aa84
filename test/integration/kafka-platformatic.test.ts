import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Admin, type CompressionAlgorithmValue, compressionsAlgorithms, Consumer, Producer, stringDeserializers, stringSerializers } from "@platformatic/kafka";
import { KafkaBroker } from "../helpers/kafka-broker.ts";

/**
 * @platformatic/kafka (pure TypeScript, Kafka 3.5+ protocol versions, so flexible
 * versions throughout) against a real broker: admin, an idempotent producer with keys
 * and headers in every codec it has, reading from the beginning, a group that commits
 * and resumes after a broker restart, and both doors.
 */

let broker: KafkaBroker;
beforeAll(async () => {
  broker = await KafkaBroker.start();
});
afterAll(async () => {
  await broker?.stop();
});

const bootstrapBrokers = () => [broker.bootstrap];

interface Read {
  partition: number;
  offset: number;
  key: string;
  value: string;
  headers: string[];
  timestamp: number;
}

/** Reads `count` messages with group `groupId` (earliest when it has no commits), committing each. */
async function readWithGroup(topic: string, count: number, groupId: string): Promise<Read[]> {
  const consumer = new Consumer({ groupId, clientId: "pk-consumer", bootstrapBrokers: bootstrapBrokers(), deserializers: stringDeserializers });
  const out: Read[] = [];
  try {
    const stream = await consumer.consume({ autocommit: false, topics: [topic], mode: "committed", fallbackMode: "earliest", sessionTimeout: 10_000, heartbeatInterval: 500 });
    for await (const m of stream) {
      out.push({
        partition: m.partition,
        offset: Number(m.offset),
        key: String(m.key),
        value: String(m.value),
        headers: [...m.headers].map(([k, v]) => `${k}=${v}`),
        timestamp: Number(m.timestamp),
      });
      await m.commit();
      if (out.length >= count) break;
    }
    await stream.close();
  } finally {
    await consumer.close();
  }
  return out;
}

async function send(topic: string, messages: { key: string; value: string; headers?: Record<string, string>; partition?: number; timestamp?: bigint }[], compression: CompressionAlgorithmValue = "none") {
  const producer = new Producer({ clientId: "pk-producer", bootstrapBrokers: bootstrapBrokers(), serializers: stringSerializers, idempotent: true, compression, autocreateTopics: true });
  try {
    const result = await producer.send({
      messages: messages.map((m) => ({ topic, key: m.key, value: m.value, headers: new Map(Object.entries(m.headers ?? {})), partition: m.partition ?? 0, timestamp: m.timestamp })),
    });
    return (result.offsets ?? []).map((o) => Number(o.offset));
  } finally {
    await producer.close();
  }
}

const codecs = (Object.keys(compressionsAlgorithms) as CompressionAlgorithmValue[]).filter((c) => compressionsAlgorithms[c].available !== false);

describe("@platformatic/kafka", () => {
  test("admin: create with partitions, metadata, delete", async () => {
    const admin = new Admin({ clientId: "pk-admin", bootstrapBrokers: bootstrapBrokers() });
    try {
      await admin.createTopics({ topics: ["pk-admin"], partitions: 2, replicas: 1 });
      const meta = await admin.metadata({ topics: ["pk-admin"] });
      const topic = meta.topics.get("pk-admin");
      expect(topic?.partitions.map((p) => [p.leader, p.replicas, p.isr])).toEqual([
        [1, [1], [1]],
        [1, [1], [1]],
      ]);
      await admin.deleteTopics({ topics: ["pk-admin"] });
      const after = await admin.listTopics();
      expect(after.includes("pk-admin")).toBe(false);
    } finally {
      await admin.close();
    }
  });

  test(`idempotent produce with keys and headers in ${codecs.join(", ")}; read from the beginning`, async () => {
    expect(codecs).toEqual(["none", "gzip", "snappy", "lz4", "zstd"]);
    for (const [i, codec] of codecs.entries()) {
      const offsets = await send("pk-codecs", [{ key: `k${i}`, value: `${codec}-value`, headers: { codec }, timestamp: BigInt(1_700_000_000_000 + i) }], codec);
      expect(offsets).toEqual([i]);
    }
    const read = await readWithGroup("pk-codecs", codecs.length, "pk-codec-reader");
    expect(read).toEqual(codecs.map((codec, i) => ({ partition: 0, offset: i, key: `k${i}`, value: `${codec}-value`, headers: [`codec=${codec}`], timestamp: 1_700_000_000_000 + i })));
  }, 60_000);

  test("a group commits and resumes where it stopped after a broker restart", async () => {
    await send("pk-resume", [0, 1, 2].map((i) => ({ key: `k${i}`, value: `before-${i}` })));
    expect((await readWithGroup("pk-resume", 3, "pk-resume-group")).map((r) => r.value)).toEqual(["before-0", "before-1", "before-2"]);
    await broker.restart();
    await send("pk-resume", [{ key: "k3", value: "after-0" }]);
    expect((await readWithGroup("pk-resume", 1, "pk-resume-group")).map((r) => [r.offset, r.value])).toEqual([[3, "after-0"]]);
  }, 90_000);

  test("both doors: reads what HTTP wrote, and HTTP reads what it wrote", async () => {
    const res = await fetch(`${broker.url}/create-topic`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ topic: "pk-doors", partitions: 1 }) });
    expect(res.status).toBe(200);
    const produced = await fetch(`${broker.url}/produce`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ topic: "pk-doors", key: "hk", message: "from-http", headers: { src: "http" } }),
    });
    expect(produced.status).toBe(200);
    await send("pk-doors", [{ key: "pk", value: "from-platformatic", headers: { src: "platformatic" } }]);
    const read = await readWithGroup("pk-doors", 2, "pk-doors-reader");
    expect(read.map((r) => [r.offset, r.key, r.value, r.headers])).toEqual([
      [0, "hk", "from-http", ["src=http"]],
      [1, "pk", "from-platformatic", ["src=platformatic"]],
    ]);
    const http = (await (await fetch(`${broker.url}/topics/pk-doors/partitions/0/records?offset=0&max=10`)).json()) as {
      records: { offset: number; key: string; message: string; headers: Record<string, string>; timestamp: number }[];
    };
    expect(http.records.map((r) => [r.offset, r.key, r.message, r.headers, r.timestamp === read[r.offset].timestamp])).toEqual([
      [0, "hk", "from-http", { src: "http" }, true],
      [1, "pk", "from-platformatic", { src: "platformatic" }, true],
    ]);
  }, 60_000);
});
