import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { loadOrCreateAdminToken } from "../../src/auth/admin-token.ts";
import { call } from "../helpers/cluster-http.ts";
import { KafkaBroker } from "../helpers/kafka-broker.ts";
import { until } from "../helpers/until.ts";

/**
 * KIP-368 with a real client: a broker run with --kafka-reauth-ms tells kafkajs its SASL
 * session's lifetime, and kafkajs re-authenticates on its open connection before the end
 * (its reauthenticationThreshold before it), so a producer keeps working past several
 * lifetimes over the same connections.
 */

const LIFETIME_MS = 6000;
const root = mkdtempSync(join(tmpdir(), "streamnest-kafka-reauth-"));
const tokenFile = join(root, "admin-token");
loadOrCreateAdminToken(tokenFile);
const admin = readFileSync(tokenFile, "utf8").trim();
let broker: KafkaBroker;

beforeAll(async () => {
  broker = await KafkaBroker.start({ args: ["--auth=token", `--admin-token-file=${tokenFile}`, `--kafka-reauth-ms=${LIFETIME_MS}`], token: admin });
  const asAdmin = async (path: string, body: unknown) => {
    const answer = await call(broker.broker, "POST", path, body, { authorization: `Bearer ${admin}` });
    if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  };
  await asAdmin("/admin/users", { name: "kim", password: "kim-secret" });
  await asAdmin("/create-topic", { topic: "reauth", partitions: 1 });
  await asAdmin("/admin/acls", { principal: "User:kim", operation: "ALL", resource_type: "TOPIC", resource_name: "reauth", pattern_type: "LITERAL" });
}, 60_000);

afterAll(async () => {
  await broker?.stop();
  rmSync(root, { recursive: true, force: true });
});

test("kafkajs re-authenticates on its connection within each session and keeps producing past several lifetimes", async () => {
  const kafka = new Kafka({
    clientId: "kafkajs-reauth",
    brokers: [broker.bootstrap],
    sasl: { mechanism: "scram-sha-512", username: "kim", password: "kim-secret" },
    // Re-authenticate once 1000 ms of the 6000 ms session have passed: a request sent without
    // re-authenticating first then has 5 s to reach the broker, however loaded the machine.
    reauthenticationThreshold: LIFETIME_MS - 1000,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
  const producer = kafka.producer({ retry: { retries: 0 } });
  await producer.connect();
  const seen = broker.broker.output.length;
  const offsets: string[] = [];
  // Sends spread over more than two lifetimes: each past the threshold makes kafkajs re-authenticate first.
  const began = Date.now();
  const schedule = Array.from({ length: 10 }, (_, i) => i * 1500);
  for (const at of schedule) {
    await Bun.sleep(Math.max(0, began + at - Date.now()));
    const [sent] = await producer.send({ topic: "reauth", messages: [{ value: `at ${at}` }] });
    offsets.push(sent.baseOffset ?? "");
  }
  await producer.disconnect();
  expect(offsets).toEqual(schedule.map((_, i) => String(i)));
  await until("re-authentications logged", async () => broker.broker.output.slice(seen), (out) => out.includes('re-authenticated as user "kim" with SASL/SCRAM-SHA-512'));
  expect(broker.broker.output.slice(seen)).not.toContain("without a re-authentication");
}, 60_000);
