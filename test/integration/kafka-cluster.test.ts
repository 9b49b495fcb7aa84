import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { encodeRecordBatch, KAFKA_ERROR } from "../../src/kafka/protocol/index.ts";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { LauncherProcess } from "../helpers/launcher-process.ts";
import { freePortRange } from "../helpers/port-range.ts";
import { until } from "../helpers/until.ts";
import { RawClient } from "../kafka/support/in-process.ts";

/**
 * Kafka clients against a cluster: Metadata names every broker's Kafka address (learned
 * from heartbeats), a partition call to a broker that does not lead the partition gets
 * NOT_LEADER_OR_FOLLOWER (never a proxied answer), and kafkajs, following Metadata,
 * writes and reads every partition. The launcher gives its brokers Kafka ports.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const KAFKA_LINE = /^Kafka listener on :(\d+)/m;

async function kafkaCluster(): Promise<{ cluster: TestCluster; ports: number[] }> {
  const cluster = await startCluster(3, { args: ["--kafka-port=auto"] });
  cleanups.push(() => cluster.stop());
  const ports = cluster.brokers.map((b) => Number(KAFKA_LINE.exec(b.output)?.[1]));
  return { cluster, ports };
}

describe("Kafka on a cluster of three", () => {
  test("Metadata names all three; a produce to a non-leader is NOT_LEADER_OR_FOLLOWER; kafkajs writes and reads every partition", async () => {
    const { cluster, ports } = await kafkaCluster();
    const create = await fetch(`${cluster.brokers[0].url}/create-topic`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ topic: "spread", partitions: 3 }),
    });
    expect(create.status).toBe(200);
    const client = await RawClient.connect(ports[0]);
    cleanups.push(() => client.end());
    const meta = await until(
      "broker 1 naming all three Kafka addresses",
      () => client.call("Metadata", 12, { topics: [{ name: "spread" }], allowAutoTopicCreation: false }),
      (m) => m.brokers.length === 3,
      20_000,
    );
    expect(meta.brokers.map((b) => [b.nodeId, b.host, b.port])).toEqual(ports.map((p, i) => [i + 1, "127.0.0.1", p]));
    const leaders = meta.topics[0].partitions.map((p) => p.leaderId);
    expect([...leaders].sort()).toEqual([1, 2, 3]);

    const notLed = meta.topics[0].partitions.find((p) => p.leaderId !== 1);
    if (!notLed) throw new Error("every partition led by broker 1");
    const records = encodeRecordBatch({ records: [{ value: new TextEncoder().encode("x"), timestamp: 1n }] });
    const refused = await client.call("Produce", 9, { acks: -1, timeoutMs: 1000, topicData: [{ name: "spread", partitionData: [{ index: notLed.partitionIndex, records }] }] });
    expect(refused.responses[0].partitionResponses[0].errorCode).toBe(KAFKA_ERROR.NOT_LEADER_OR_FOLLOWER);

    const kafka = new Kafka({ clientId: "cluster-test", brokers: [`127.0.0.1:${ports[1]}`], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "spread", messages: [0, 1, 2].map((p) => ({ partition: p, value: `v${p}` })) });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: "cluster-readers", maxWaitTimeInMs: 200 });
    const got: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: "spread", fromBeginning: true });
    await consumer.run({ eachMessage: async ({ partition, message }) => void got.push(`${partition}:${message.value?.toString()}`) });
    await until("three messages", async () => got.length, (n) => n >= 3, 30_000);
    await consumer.disconnect();
    expect(got.sort()).toEqual(["0:v0", "1:v1", "2:v2"]);
  }, 90_000);

  test("broker --count=2 gives each broker a Kafka port and prints them", async () => {
    const base = freePortRange(2);
    const dir = mkdtempSync(join(tmpdir(), "streamnest-kafka-launch-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const kafkaBase = freePortRange(2);
    const launcher = LauncherProcess.start(["--count=2", `--base-port=${base}`, `--kafka-base-port=${kafkaBase}`, "--host=127.0.0.1", `--data-dir=${dir}`]);
    cleanups.push(async () => {
      launcher.kill("SIGTERM");
      await launcher.exited;
    });
    await launcher.waitUp(2);
    await launcher.waitFor(`Kafka: broker 1 127.0.0.1:${kafkaBase}, broker 2 127.0.0.1:${kafkaBase + 1}  (try: kcat -b 127.0.0.1:${kafkaBase} -L)`);
    const client = await RawClient.connect(kafkaBase + 1);
    cleanups.push(() => client.end());
    const versions = await client.call("ApiVersions", 3, { clientSoftwareName: "test", clientSoftwareVersion: "1" });
    expect(versions.errorCode).toBe(KAFKA_ERROR.NONE);
  }, 60_000);
});
