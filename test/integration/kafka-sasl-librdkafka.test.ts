import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOrCreateAdminToken } from "../../src/auth/admin-token.ts";
import { call } from "../helpers/cluster-http.ts";
import { available, hasCommand, hasPythonModule, run, SYSTEM_PYTHON } from "../helpers/external-client.ts";
import { KafkaBroker } from "../helpers/kafka-broker.ts";

/**
 * The librdkafka clients, kcat and confluent-kafka-python, against a broker run with
 * --auth=token: SASL/PLAIN and SCRAM-SHA-256/512 with the right password, a wrong one and
 * an unknown user; and ACLs: WRITE without READ produces but cannot consume, Metadata lists
 * only the topics the user may describe.
 */

const kcatPresent = available("kcat", hasCommand("kcat"), "apt-get install -y kcat");
const confluentPresent = available("confluent-kafka-python", hasPythonModule("confluent_kafka"), "apt-get install -y python3-confluent-kafka");
const root = mkdtempSync(join(tmpdir(), "streamnest-kafka-sasl-rdkafka-"));
const tokenFile = join(root, "admin-token");
loadOrCreateAdminToken(tokenFile);
const admin = readFileSync(tokenFile, "utf8").trim();
let broker: KafkaBroker;

const asAdmin = async (method: string, path: string, body?: unknown) => {
  const answer = await call<Record<string, unknown>>(broker.broker, method, path, body, { authorization: `Bearer ${admin}` });
  if (answer.status !== 200) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
};
const acl = (principal: string, operation: string, resource_type: string, resource_name: string) =>
  asAdmin("POST", "/admin/acls", { principal, operation, resource_type, resource_name, pattern_type: "LITERAL" });

beforeAll(async () => {
  if (!kcatPresent && !confluentPresent) return;
  broker = await KafkaBroker.start({ args: ["--auth=token", `--admin-token-file=${tokenFile}`, "--auto-create-topics=off"], token: admin });
  await asAdmin("POST", "/admin/users", { name: "carol", password: "carol-secret" });
  await asAdmin("POST", "/admin/users", { name: "wendy", password: "wendy-secret" });
  for (const topic of ["events", "secret", "wendy-only"]) await asAdmin("POST", "/create-topic", { topic, partitions: 1 });
  await acl("User:carol", "ALL", "TOPIC", "events");
  await acl("User:carol", "READ", "GROUP", "*");
  await acl("User:wendy", "WRITE", "TOPIC", "wendy-only");
  await acl("User:wendy", "READ", "GROUP", "*");
}, 60_000);

afterAll(async () => {
  await broker?.stop();
  rmSync(root, { recursive: true, force: true });
});

const MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];

describe.skipIf(!kcatPresent)("kcat over SASL", () => {
  const kcat = (mechanism: string, user: string, password: string, args: string[], stdin?: string) =>
    run(
      [
        "kcat",
        "-b",
        broker.bootstrap,
        "-X",
        "security.protocol=sasl_plaintext",
        "-X",
        `sasl.mechanisms=${mechanism}`,
        "-X",
        `sasl.username=${user}`,
        "-X",
        `sasl.password=${password}`,
        ...args,
      ],
      { stdin, timeoutMs: 30_000 },
    );

  for (const mechanism of MECHANISMS)
    test(`${mechanism}: produce and read back with the right password; a wrong one and an unknown user fail`, async () => {
      const produced = await kcat(mechanism, "carol", "carol-secret", ["-P", "-t", "events"], `${mechanism}\n`);
      expect(produced.exitCode).toBe(0);
      const read = await kcat(mechanism, "carol", "carol-secret", ["-C", "-t", "events", "-o", "beginning", "-e", "-q", "-f", "%s\\n"]);
      expect(read.exitCode).toBe(0);
      expect(read.stdout.split("\n")).toContain(mechanism);
      for (const [user, password] of [["carol", "wrong"], ["nobody", "carol-secret"]]) {
        const refused = await kcat(mechanism, user, password, ["-L", "-m", "2"]);
        expect(refused.exitCode).not.toBe(0);
        expect(refused.stderr).toContain(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`);
      }
    });

  test("-L lists only the topics the user may describe", async () => {
    const listed = await kcat("SCRAM-SHA-256", "wendy", "wendy-secret", ["-L", "-J"]);
    expect(listed.exitCode).toBe(0);
    const topics = (JSON.parse(listed.stdout) as { topics: { topic: string }[] }).topics.map((t) => t.topic);
    expect(topics).toEqual(["wendy-only"]);
  });

  test("WRITE without READ: wendy produces, and her read is refused", async () => {
    expect((await kcat("SCRAM-SHA-512", "wendy", "wendy-secret", ["-P", "-t", "wendy-only"], "hello\n")).exitCode).toBe(0);
    const read = await kcat("SCRAM-SHA-512", "wendy", "wendy-secret", ["-C", "-t", "wendy-only", "-o", "beginning", "-e", "-q"]);
    expect(read.exitCode).not.toBe(0);
    expect(read.stderr).toContain("Topic authorization failed");
  });
});

describe.skipIf(!confluentPresent)("confluent-kafka-python over SASL", () => {
  const script = join(import.meta.dir, "kafka-clients", "confluent_sasl.py");
  const client = async (mechanism: string, user: string, password: string, ...args: string[]) => {
    const out = await run([SYSTEM_PYTHON, script, broker.bootstrap, mechanism, user, password, ...args], { timeoutMs: 40_000 });
    if (out.exitCode !== 0) throw new Error(`confluent_sasl.py ${args.join(" ")} exited ${out.exitCode}: ${out.stderr}`);
    return JSON.parse(out.stdout) as { ok?: unknown; error?: string; seen?: string[] };
  };

  for (const mechanism of MECHANISMS)
    test(`${mechanism}: the right password lists topics; a wrong one and an unknown user are refused`, async () => {
      expect((await client(mechanism, "carol", "carol-secret", "topics")).ok).toEqual(["events"]);
      for (const [user, password] of [["carol", "wrong"], ["nobody", "carol-secret"]]) {
        const refused = await client(mechanism, user, password, "topics");
        expect(refused.ok).toBeUndefined();
        expect(refused.seen).toContain("_AUTHENTICATION");
      }
    });

  test("WRITE without READ: produce works, consume is TOPIC_AUTHORIZATION_FAILED", async () => {
    expect((await client("SCRAM-SHA-256", "wendy", "wendy-secret", "produce", "wendy-only", "2")).ok).toEqual([expect.any(Number), expect.any(Number)]);
    expect(await client("SCRAM-SHA-256", "wendy", "wendy-secret", "consume", "wendy-only", "g-wendy", "1")).toEqual({ error: "TOPIC_AUTHORIZATION_FAILED" });
    expect((await client("SCRAM-SHA-512", "carol", "carol-secret", "produce", "events", "1")).ok).toEqual([expect.any(Number)]);
    expect((await client("SCRAM-SHA-512", "carol", "carol-secret", "produce", "secret", "1")).ok).toEqual(["TOPIC_AUTHORIZATION_FAILED"]);
  });
});
