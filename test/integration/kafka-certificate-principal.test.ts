import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel, type SASLOptions } from "kafkajs";
import { loadOrCreateAdminToken } from "../../src/auth/admin-token.ts";
import { call } from "../helpers/cluster-http.ts";
import { available, hasCommand, run } from "../helpers/external-client.ts";
import { KafkaBroker } from "../helpers/kafka-broker.ts";
import { makeTestCa } from "../helpers/tls-certs.ts";

/**
 * Mutual TLS on the Kafka listener with --auth=token (issue 14): a client certificate the
 * --tls-ca signed is the principal User:<subject CN> without SASL, as Kafka's SSL
 * listener, and the same ACLs apply to it as to a SASL user of that name; a client that
 * does SASL as well is its SASL user. Certificates are made at test time with openssl.
 */

const certs = makeTestCa("StreamNest mTLS principal CA");
const root = mkdtempSync(join(tmpdir(), "streamnest-kafka-mtls-"));
const tokenFile = join(root, "admin-token");
loadOrCreateAdminToken(tokenFile);
const adminToken = readFileSync(tokenFile, "utf8").trim();
const ca = readFileSync(certs.ca, "utf8");
let broker: KafkaBroker;

const asAdmin = async (method: string, path: string, body?: unknown) => {
  const answer = await call<Record<string, unknown>>(broker.broker, method, path, body, { authorization: `Bearer ${adminToken}` });
  if (answer.status !== 200) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
};

beforeAll(async () => {
  broker = await KafkaBroker.start({
    args: ["--auth=token", `--admin-token-file=${tokenFile}`, "--auto-create-topics=off"],
    token: adminToken,
    tls: { ...certs.issue("mtls-broker"), ca: certs.ca, requireClientCerts: true, client: certs.issue("harness") },
  });
  for (const topic of ["orders", "hidden"]) await asAdmin("POST", "/create-topic", { topic, partitions: 1 });
  await asAdmin("POST", "/admin/users", { name: "bob", password: "bob-secret" });
  await asAdmin("POST", "/admin/acls", { principal: "User:alice", operation: "WRITE", resource_type: "TOPIC", resource_name: "orders", pattern_type: "LITERAL" });
  await asAdmin("POST", "/admin/acls", { principal: "User:bob", operation: "DESCRIBE", resource_type: "TOPIC", resource_name: "hidden", pattern_type: "LITERAL" });
}, 60_000);

afterAll(async () => {
  await broker?.stop();
  certs.remove();
  rmSync(root, { recursive: true, force: true });
});

function client(cert: { cert: string; key: string }, sasl?: SASLOptions): Kafka {
  return new Kafka({
    clientId: "kafkajs-mtls",
    brokers: [broker.bootstrap],
    ssl: { ca: [ca], cert: readFileSync(cert.cert, "utf8"), key: readFileSync(cert.key, "utf8") },
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 10_000,
    ...(sasl ? { sasl } : {}),
  });
}

async function errorOf(promise: Promise<unknown>): Promise<Error & { type?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { type?: string };
  }
  throw new Error("expected a failure");
}

/** The Kafka error of a refused send: kafkajs wraps a refusal met in its Metadata request, with the code as the cause's type. */
async function refusedKind(promise: Promise<unknown>): Promise<string | undefined> {
  const e = (await errorOf(promise)) as Error & { type?: string; cause?: { type?: string } };
  return e.type ?? e.cause?.type;
}

describe("a client certificate as the Kafka principal", () => {
  test("CN=alice, without SASL, is User:alice: she writes what her ACL allows, sees only that topic, and nothing else", async () => {
    const alice = client(certs.issue("alice"));
    const admin = alice.admin();
    await admin.connect();
    // WRITE implies DESCRIBE (Kafka's implication), so "orders" is listed and "hidden" is not.
    expect(await admin.listTopics()).toEqual(["orders"]);
    expect((await errorOf(admin.fetchTopicMetadata({ topics: ["hidden"] }))).type).toBe("TOPIC_AUTHORIZATION_FAILED");
    await admin.disconnect();
    const producer = alice.producer({ retry: { retries: 0 } });
    await producer.connect();
    const [sent] = await producer.send({ topic: "orders", messages: [{ value: "by certificate" }] });
    expect(sent.errorCode).toBe(0);
    expect(await refusedKind(producer.send({ topic: "hidden", messages: [{ value: "no" }] }))).toBe("TOPIC_AUTHORIZATION_FAILED");
    await producer.disconnect();
    expect(await asAdmin("GET", "/consume?topic=orders&partition=0&offset=0")).toEqual({ offset: 0, message: "by certificate" });
  }, 60_000);

  test("a certificate whose CN has no ACL is a principal with no permission, not an administrator", async () => {
    const mallory = client(certs.issue("mallory")).producer({ retry: { retries: 0 } });
    await mallory.connect();
    expect(await refusedKind(mallory.send({ topic: "orders", messages: [{ value: "no" }] }))).toBe("TOPIC_AUTHORIZATION_FAILED");
    await mallory.disconnect();
    const admin = client(certs.issue("mallory")).admin();
    await admin.connect();
    expect(await admin.listTopics()).toEqual([]);
    await admin.disconnect();
  }, 60_000);

  test("with SASL as well, the SASL user is the principal (alice's certificate, bob's password: bob's topics)", async () => {
    const admin = client(certs.issue("alice"), { mechanism: "scram-sha-256", username: "bob", password: "bob-secret" }).admin();
    await admin.connect();
    expect(await admin.listTopics()).toEqual(["hidden"]);
    await admin.disconnect();
    const wrong = await errorOf(client(certs.issue("alice"), { mechanism: "plain", username: "bob", password: "not-his" }).admin().connect());
    expect(wrong.name).toBe("KafkaJSSASLAuthenticationError");
  }, 60_000);
});

const hasKcat = available("kcat", hasCommand("kcat"), "apt-get install -y kcat");

describe.skipIf(!hasKcat)("kcat (librdkafka) with a client certificate and no SASL", () => {
  test("-L as CN=alice lists only the topic she may describe; producing to the other is refused", async () => {
    const alice = certs.issue("alice");
    const tls = ["-X", "security.protocol=ssl", "-X", `ssl.ca.location=${certs.ca}`, "-X", `ssl.certificate.location=${alice.cert}`, "-X", `ssl.key.location=${alice.key}`];
    const listed = await run(["kcat", ...tls, "-b", broker.bootstrap, "-L", "-m", "10"]);
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout).toContain(' 1 topics:\n  topic "orders" with 1 partitions:');
    expect(listed.stdout).not.toContain("hidden");
    const refused = await run(["kcat", ...tls, "-b", broker.bootstrap, "-P", "-t", "hidden", "-m", "10"], { stdin: "no\n" });
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain("Topic authorization failed");
  });
});
