import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, type KafkaConfig, logLevel, type SASLOptions } from "kafkajs";
import { loadOrCreateAdminToken } from "../../src/auth/admin-token.ts";
import { call } from "../helpers/cluster-http.ts";
import { KafkaBroker } from "../helpers/kafka-broker.ts";
import { until } from "../helpers/until.ts";

/**
 * kafkajs against a broker run with --auth=token: SASL/PLAIN, SCRAM-SHA-256 and -512 over
 * users created through the HTTP admin API (stored as SCRAM credentials in the replicated
 * metadata), and Kafka's ACL checks per API with the same bindings the HTTP API obeys.
 */

const root = mkdtempSync(join(tmpdir(), "streamnest-kafka-sasl-"));
const tokenFile = join(root, "admin-token");
loadOrCreateAdminToken(tokenFile);
const admin = readFileSync(tokenFile, "utf8").trim();
let broker: KafkaBroker;

const asAdmin = async (method: string, path: string, body?: unknown) => {
  const answer = await call<Record<string, unknown>>(broker.broker, method, path, body, { authorization: `Bearer ${admin}` });
  if (answer.status !== 200) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
};

const acl = (principal: string, operation: string, resource_type: string, resource_name: string, pattern_type = "LITERAL") =>
  asAdmin("POST", "/admin/acls", { principal, operation, resource_type, resource_name, pattern_type });

beforeAll(async () => {
  broker = await KafkaBroker.start({ args: ["--auth=token", `--admin-token-file=${tokenFile}`, "--auto-create-topics=off"], token: admin });
  for (const [name, password] of [["alice", "alice-secret"], ["writer", "writer-secret"], ["reader", "reader-secret"]])
    await asAdmin("POST", "/admin/users", { name, password });
  for (const topic of ["orders", "hidden"]) await asAdmin("POST", "/create-topic", { topic, partitions: 1 });
  await acl("User:alice", "ALL", "TOPIC", "*");
  await acl("User:alice", "ALL", "GROUP", "*");
  await acl("User:writer", "WRITE", "TOPIC", "orders");
  await acl("User:writer", "READ", "GROUP", "writer-group");
  await acl("User:reader", "READ", "TOPIC", "orders");
  await acl("User:reader", "READ", "GROUP", "reader-group");
}, 60_000);

afterAll(async () => {
  await broker?.stop();
  rmSync(root, { recursive: true, force: true });
});

function client(sasl: SASLOptions | undefined, extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: "kafkajs-sasl",
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 3000,
    ...(sasl ? { sasl } : {}),
    ...extra,
  });
}

const MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512"] as const;
type Mechanism = (typeof MECHANISMS)[number];
const sasl = (mechanism: Mechanism, username: string, password: string) => ({ mechanism, username, password }) as SASLOptions;

async function errorOf(promise: Promise<unknown>): Promise<Error & { type?: string; name: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { type?: string };
  }
  throw new Error("expected a failure");
}

describe("SASL over the Kafka listener", () => {
  for (const mechanism of MECHANISMS) {
    test(`${mechanism}: the right password works; a wrong one and an unknown user fail alike`, async () => {
      const ok = client(sasl(mechanism, "alice", "alice-secret")).admin();
      await ok.connect();
      expect((await ok.listTopics()).sort()).toEqual(["hidden", "orders"]);
      await ok.disconnect();

      const seen = broker.broker.output.length;
      const wrong = await errorOf(client(sasl(mechanism, "alice", "not-her-password")).admin().connect());
      const unknown = await errorOf(client(sasl(mechanism, "mallory", "alice-secret")).admin().connect());
      for (const e of [wrong, unknown]) {
        expect(e.name).toBe("KafkaJSSASLAuthenticationError");
        // One message for both: nothing tells whether the user exists.
        expect(e.message).toContain(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism.toUpperCase()}`);
      }
      await until("two failures logged", async () => broker.broker.output.slice(seen).split(`failed SASL/${mechanism.toUpperCase()} authentication`).length - 1, (n) => n >= 2);
    });
  }

  test("a client without SASL is cut off at its first request past ApiVersions", async () => {
    const seen = broker.broker.output.length;
    const e = await errorOf(client(undefined).admin().listTopics());
    expect(e.name).toMatch(/KafkaJS(Connection|ConnectionClosed|NumberOfRetriesExceeded|Non?Retriable)?Error/);
    await until("the refusal logged", async () => broker.broker.output.slice(seen), (out) => out.includes("sent Metadata before authenticating with SASL"));
  });

  test("a mechanism the broker does not offer is refused with the list it does offer", async () => {
    const oauth = { mechanism: "oauthbearer", oauthBearerProvider: async () => ({ value: "x" }) } as SASLOptions;
    const seen = broker.broker.output.length;
    const e = await errorOf(client(oauth).admin().connect());
    expect(e.message).toContain("The broker does not support the requested SASL mechanism");
    await until("the refusal logged", async () => broker.broker.output.slice(seen), (out) =>
      out.includes('SASL mechanism "OAUTHBEARER" is not enabled; enabled: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512'),
    );
  });
});

describe("ACLs over Kafka", () => {
  test("WRITE without READ: the writer produces, and cannot consume (TOPIC_AUTHORIZATION_FAILED)", async () => {
    const writer = client(sasl("scram-sha-256", "writer", "writer-secret"));
    const producer = writer.producer();
    await producer.connect();
    const [sent] = await producer.send({ topic: "orders", messages: [{ key: "k", value: "from writer" }] });
    expect(sent.errorCode).toBe(0);
    await producer.disconnect();

    const consumer = writer.consumer({ groupId: "writer-group", maxWaitTimeInMs: 200, retry: { retries: 0 } });
    let crash: Error | undefined;
    consumer.on(consumer.events.CRASH, (event) => {
      crash = event.payload.error;
    });
    await consumer.connect();
    await consumer.subscribe({ topic: "orders", fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
    await until("the consumer refused", async () => crash, (c) => c !== undefined, 20_000);
    // kafkajs's words for TOPIC_AUTHORIZATION_FAILED on Fetch.
    expect(crash?.message).toBe("Not authorized to access topics: [Topic authorization failed]");
    await consumer.disconnect();
  });

  test("READ without WRITE: the reader consumes what the writer wrote, and cannot produce", async () => {
    const reader = client(sasl("scram-sha-512", "reader", "reader-secret"));
    const consumer = reader.consumer({ groupId: "reader-group", maxWaitTimeInMs: 200 });
    const got: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: "orders", fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push(String(message.value)) });
    await until("the writer's message", async () => got.length, (n) => n >= 1, 20_000);
    await consumer.disconnect();
    expect(got).toEqual(["from writer"]);

    const producer = reader.producer({ retry: { retries: 0 } });
    await producer.connect();
    const e = await errorOf(producer.send({ topic: "orders", messages: [{ value: "from reader" }] }));
    expect(e.type).toBe("TOPIC_AUTHORIZATION_FAILED");
    await producer.disconnect();
  });

  test("Metadata hides the topics a principal cannot describe; naming one is TOPIC_AUTHORIZATION_FAILED", async () => {
    const admin = client(sasl("plain", "reader", "reader-secret")).admin();
    await admin.connect();
    expect(await admin.listTopics()).toEqual(["orders"]);
    const e = await errorOf(admin.fetchTopicMetadata({ topics: ["hidden"] }));
    expect(e.type).toBe("TOPIC_AUTHORIZATION_FAILED");
    await admin.disconnect();
  });

  test("CREATE, DELETE, ALTER and DESCRIBE_CONFIGS are each needed, and suffice", async () => {
    const reader = client(sasl("plain", "reader", "reader-secret")).admin();
    await reader.connect();
    const created = await errorOf(reader.createTopics({ topics: [{ topic: "reader-made", numPartitions: 1 }] }));
    expect(JSON.stringify(created)).toContain("TOPIC_AUTHORIZATION_FAILED");
    expect((await errorOf(reader.deleteTopics({ topics: ["orders"] }))).type).toBe("TOPIC_AUTHORIZATION_FAILED");
    expect((await errorOf(reader.createPartitions({ topicPartitions: [{ topic: "orders", count: 2 }] }))).type).toBe("TOPIC_AUTHORIZATION_FAILED");
    expect((await errorOf(reader.describeConfigs({ resources: [{ type: 2, name: "orders" }], includeSynonyms: false }))).type).toBe(
      "TOPIC_AUTHORIZATION_FAILED",
    );
    await reader.disconnect();

    await acl("User:reader", "CREATE", "TOPIC", "reader-", "PREFIXED");
    await acl("User:reader", "DELETE", "TOPIC", "reader-", "PREFIXED");
    await acl("User:reader", "ALTER", "TOPIC", "reader-", "PREFIXED");
    await acl("User:reader", "DESCRIBE_CONFIGS", "TOPIC", "reader-", "PREFIXED");
    const granted = client(sasl("plain", "reader", "reader-secret")).admin();
    await granted.connect();
    expect(await granted.createTopics({ topics: [{ topic: "reader-made", numPartitions: 1 }] })).toBe(true);
    await granted.createPartitions({ topicPartitions: [{ topic: "reader-made", count: 2 }] });
    const configs = await granted.describeConfigs({ resources: [{ type: 2, name: "reader-made" }], includeSynonyms: false });
    expect(configs.resources[0].errorCode).toBe(0);
    await granted.deleteTopics({ topics: ["reader-made"] });
    await granted.disconnect();
  });

  // kafkajs hides FindCoordinator's GROUP_AUTHORIZATION_FAILED behind "coordinator not found";
  // the code itself is checked byte-exact in test/kafka/authorization.test.ts.
  test("a group the principal may not read refuses the consumer", async () => {
    const consumer = client(sasl("plain", "reader", "reader-secret")).consumer({ groupId: "someone-elses", retry: { retries: 0 } });
    let crash: Error | undefined;
    consumer.on(consumer.events.CRASH, (event) => {
      crash = event.payload.error;
    });
    await consumer.connect();
    await consumer.subscribe({ topic: "orders", fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
    await until("the consumer refused", async () => crash, (c) => c !== undefined, 20_000);
    expect(crash?.name).toBe("KafkaJSGroupCoordinatorNotFound");
    await consumer.disconnect();
    await consumer.disconnect();
  });
});
