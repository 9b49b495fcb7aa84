import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { Kafka, logLevel } from "kafkajs";
import { available, hasCommand, hasPythonModule, run, SYSTEM_PYTHON } from "../helpers/external-client.ts";
import { KafkaBroker } from "../helpers/kafka-broker.ts";
import { makeTestCa } from "../helpers/tls-certs.ts";
import { until } from "../helpers/until.ts";

/**
 * The Kafka listener over TLS (Kafka's SSL listener, issue 14): kcat, kafkajs and
 * confluent-kafka-python with security.protocol=SSL trusting the test CA; a plaintext
 * client gets nothing; with --tls-ca a client must present a certificate the CA signed.
 */

const certs = makeTestCa();
let broker: KafkaBroker;

beforeAll(async () => {
  broker = await KafkaBroker.start({ tls: { ...certs.issue("kafka-broker"), ca: certs.ca } });
});
afterAll(async () => {
  await broker?.stop();
  certs.remove();
});

const hasKcat = available("kcat", hasCommand("kcat"), "apt-get install -y kcat");
const hasConfluent = available("confluent-kafka-python", hasPythonModule("confluent_kafka"), "apt-get install -y python3-confluent-kafka");
const ssl = () => ["-X", "security.protocol=ssl", "-X", `ssl.ca.location=${certs.ca}`];

describe.skipIf(!hasKcat)("kcat over SSL", () => {
  test("-L lists the broker; produce and consume over SSL", async () => {
    const listed = await run(["kcat", ...ssl(), "-b", broker.bootstrap, "-L", "-m", "10"]);
    expect(listed.exitCode).toBe(0);
    // Over SSL to the bootstrap address; kcat names it "broker 1" once it has learnt that
    // broker 1 advertises that very address, "-1 … bootstrap" before.
    const from = /^Metadata for all topics \(from broker (-1|1): ssl:\/\/([^/]+)\/(bootstrap|1)\):$/m.exec(listed.stdout);
    expect(from?.[2]).toBe(broker.bootstrap);
    expect(from?.[1] === "-1" ? "bootstrap" : "1").toBe(from?.[3] ?? "");
    expect(listed.stdout).toContain(`broker 1 at 127.0.0.1:${broker.kafkaPort} (controller)`);
    const produced = await run(["kcat", ...ssl(), "-b", broker.bootstrap, "-P", "-t", "kcat-ssl", "-K", ":"], { stdin: "a:one\nb:two\n" });
    expect(produced).toMatchObject({ exitCode: 0, stderr: "" });
    const consumed = await run(["kcat", ...ssl(), "-b", broker.bootstrap, "-C", "-t", "kcat-ssl", "-o", "beginning", "-c", "2", "-f", "%k=%s@%o\n", "-e"]);
    expect(consumed.exitCode).toBe(0);
    expect(consumed.stdout).toBe("a=one@0\nb=two@1\n");
  });

  test("a plaintext client gets no metadata from the SSL listener", async () => {
    const plain = await run(["kcat", "-b", broker.bootstrap, "-L", "-m", "3"]);
    expect(plain.exitCode).not.toBe(0);
    expect(plain.stdout).toBe("");
  });
});

describe("kafkajs with ssl", () => {
  test("admin, producer and consumer over TLS trusting the test CA", async () => {
    const kafka = new Kafka({
      clientId: "kafkajs-tls",
      brokers: [broker.bootstrap],
      ssl: { ca: [readFileSync(certs.ca, "utf8")] },
      logLevel: logLevel.NOTHING,
      retry: { retries: 8 },
    });
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: "kafkajs-ssl", numPartitions: 1 }] })).toBe(true);
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const sent = await producer.send({ topic: "kafkajs-ssl", messages: [{ key: "k", value: "secure" }] });
    expect(sent.map((r) => [r.partition, r.baseOffset])).toEqual([[0, "0"]]);
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: "kafkajs-ssl-group", maxWaitTimeInMs: 200 });
    const got: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: "kafkajs-ssl", fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void got.push(`${message.key?.toString()}=${message.value?.toString()}`) });
      await until("the message read over TLS", async () => got.length, (n) => n >= 1, 20_000);
    } finally {
      await consumer.disconnect();
    }
    expect(got).toEqual(["k=secure"]);
  }, 60_000);
});

const CONFLUENT_SSL = `
import json, sys, time
from confluent_kafka import Consumer, Producer
bootstrap, ca, topic = sys.argv[1], sys.argv[2], sys.argv[3]
conf = {"bootstrap.servers": bootstrap, "security.protocol": "SSL", "ssl.ca.location": ca}
producer = Producer(dict(conf, **{"enable.idempotence": True}))
offsets = []
def done(err, msg):
    if err is not None:
        raise SystemExit("produce error: %s" % err)
    offsets.append(msg.offset())
for i in range(3):
    producer.produce(topic, value=("v%d" % i).encode(), on_delivery=done)
producer.flush(30)
consumer = Consumer(dict(conf, **{"group.id": "confluent-ssl", "auto.offset.reset": "earliest"}))
consumer.subscribe([topic])
values = []
deadline = time.time() + 30
while len(values) < 3 and time.time() < deadline:
    m = consumer.poll(0.5)
    if m is None:
        continue
    if m.error():
        raise SystemExit("consume error: %s" % m.error())
    values.append(m.value().decode())
consumer.close()
print(json.dumps({"offsets": offsets, "values": values}))
`;

describe.skipIf(!hasConfluent)("confluent-kafka-python with security.protocol=SSL", () => {
  test("an idempotent producer and a group consumer over TLS", async () => {
    const result = await run([SYSTEM_PYTHON, "-c", CONFLUENT_SSL, broker.bootstrap, certs.ca, "confluent-ssl"], { timeoutMs: 60_000 });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ offsets: [0, 1, 2], values: ["v0", "v1", "v2"] });
  }, 70_000);
});

describe.skipIf(!hasKcat)("the Kafka listener with --tls-ca (client certificates required)", () => {
  test("kcat without a certificate is refused; with one the CA signed it is served", async () => {
    const client = certs.issue("kcat-client");
    const mtls = await KafkaBroker.start({ tls: { ...certs.issue("mtls-kafka"), ca: certs.ca, requireClientCerts: true, client } });
    try {
      const refused = await run(["kcat", ...ssl(), "-b", mtls.bootstrap, "-L", "-m", "3"]);
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stdout).toBe("");
      const served = await run([
        "kcat",
        ...ssl(),
        "-X",
        `ssl.certificate.location=${client.cert}`,
        "-X",
        `ssl.key.location=${client.key}`,
        "-b",
        mtls.bootstrap,
        "-L",
        "-m",
        "10",
      ]);
      expect(served.exitCode).toBe(0);
      expect(served.stdout).toContain(`broker 1 at 127.0.0.1:${mtls.kafkaPort} (controller)`);
    } finally {
      await mtls.stop();
    }
  });
});
