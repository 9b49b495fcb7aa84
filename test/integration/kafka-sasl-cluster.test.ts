import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel, type SASLOptions } from "kafkajs";
import { loadOrCreateAdminToken } from "../../src/auth/admin-token.ts";
import { type BrokerProcess, startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { call } from "../helpers/cluster-http.ts";
import { until } from "../helpers/until.ts";

/**
 * Users and ACLs live in the replicated metadata, so SASL and ACLs hold on every broker's
 * Kafka listener: a user created through broker 1, granted through broker 2, authenticates
 * on broker 3 alone (its bootstrap), produces and reads back through the partition leaders
 * wherever they are; a wrong password fails there as anywhere.
 */

const root = mkdtempSync(join(tmpdir(), "streamnest-kafka-sasl-cluster-"));
const tokenFile = join(root, "admin-token");
loadOrCreateAdminToken(tokenFile);
const admin = readFileSync(tokenFile, "utf8").trim();
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3, { args: ["--kafka-port=auto", "--auth=token", `--admin-token-file=${tokenFile}`], token: admin });
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(root, { recursive: true, force: true });
});

const kafkaPort = (b: BrokerProcess) => Number(/^Kafka listener on :(\d+)/m.exec(b.output)?.[1]);

async function asAdmin(b: BrokerProcess, method: string, path: string, body?: unknown): Promise<void> {
  const answer = await call(b, method, path, body, { authorization: `Bearer ${admin}` });
  if (answer.status !== 200) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
}

test("a user created through broker 1 authenticates with SCRAM on broker 3, and its ACLs hold there", async () => {
  const [one, two, three] = cluster.brokers as [BrokerProcess, BrokerProcess, BrokerProcess];
  await asAdmin(one, "POST", "/admin/users", { name: "dana", password: "dana-secret" });
  await asAdmin(two, "POST", "/admin/acls", { principal: "User:dana", operation: "ALL", resource_type: "TOPIC", resource_name: "spread", pattern_type: "LITERAL" });
  await asAdmin(two, "POST", "/admin/acls", { principal: "User:dana", operation: "READ", resource_type: "GROUP", resource_name: "dana-readers", pattern_type: "LITERAL" });
  await asAdmin(one, "POST", "/create-topic", { topic: "spread", partitions: 3 });
  await asAdmin(one, "POST", "/create-topic", { topic: "elsewhere", partitions: 1 });

  const onThree = (sasl: SASLOptions) =>
    new Kafka({ clientId: "sasl-cluster", brokers: [`127.0.0.1:${kafkaPort(three)}`], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl });
  // Broker 3 applies the committed change at its next fetch from the quorum leader.
  const topics = await until(
    "dana's topics through broker 3",
    async () => {
      const a = onThree({ mechanism: "scram-sha-512", username: "dana", password: "dana-secret" }).admin();
      try {
        await a.connect();
        return await a.listTopics();
      } catch {
        return undefined;
      } finally {
        await a.disconnect();
      }
    },
    (t) => t !== undefined && t.includes("spread"),
    { timeoutMs: 20_000 },
  );
  expect(topics).toEqual(["spread"]);

  const wrong = onThree({ mechanism: "scram-sha-256", username: "dana", password: "not-dana" }).admin();
  await expect(wrong.connect()).rejects.toThrow("Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256");

  const kafka = new Kafka({
    clientId: "sasl-cluster",
    brokers: [`127.0.0.1:${kafkaPort(three)}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 8 },
    sasl: { mechanism: "scram-sha-256", username: "dana", password: "dana-secret" },
  });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: "spread", messages: [0, 1, 2, 3, 4, 5].map((i) => ({ key: `k${i}`, value: `v${i}` })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: "dana-readers", maxWaitTimeInMs: 200 });
  const got: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: "spread", fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void got.push(String(message.value)) });
  await until("six messages", async () => got.length, (n) => n >= 6, { timeoutMs: 30_000 });
  await consumer.disconnect();
  expect(got.sort()).toEqual(["v0", "v1", "v2", "v3", "v4", "v5"]);
}, 120_000);
