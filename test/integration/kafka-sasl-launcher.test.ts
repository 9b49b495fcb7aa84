import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { LauncherProcess } from "../helpers/launcher-process.ts";
import { freePortRange } from "../helpers/port-range.ts";

/**
 * `broker --count --auth=token` starts its brokers' Kafka listeners (it used to refuse, as
 * they checked no credentials): a user made with the admin token authenticates over SCRAM.
 */

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

test("the launcher with --auth=token starts Kafka listeners that take SASL", async () => {
  const base = freePortRange(2);
  const kafkaBase = freePortRange(2);
  const dir = mkdtempSync(join(tmpdir(), "streamnest-kafka-sasl-launch-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const launcher = LauncherProcess.start(["--count=2", `--base-port=${base}`, `--kafka-base-port=${kafkaBase}`, "--host=127.0.0.1", `--data-dir=${dir}`, "--auth=token"]);
  cleanups.push(async () => {
    launcher.kill("SIGTERM");
    await launcher.exited;
  });
  await launcher.waitUp(2);
  await launcher.waitFor(
    `Kafka: broker 1 127.0.0.1:${kafkaBase}, broker 2 127.0.0.1:${kafkaBase + 1}  (try: kcat -X security.protocol=sasl_plaintext -X sasl.mechanisms=SCRAM-SHA-256 -X sasl.username=<user> -X sasl.password=<password> -b 127.0.0.1:${kafkaBase} -L)`,
  );
  const admin = readFileSync(join(dir, "admin-token"), "utf8").trim();
  const headers = { authorization: `Bearer ${admin}`, "content-type": "application/json" };
  const users = await fetch(`http://127.0.0.1:${base}/admin/users`, { method: "POST", headers, body: JSON.stringify({ name: "lee", password: "lee-secret" }) });
  expect(users.status).toBe(200);
  const grant = await fetch(`http://127.0.0.1:${base}/admin/acls`, {
    method: "POST",
    headers,
    body: JSON.stringify({ principal: "User:lee", operation: "DESCRIBE", resource_type: "TOPIC", resource_name: "*", pattern_type: "LITERAL" }),
  });
  expect(grant.status).toBe(200);
  const kafka = new Kafka({
    clientId: "launcher-sasl",
    brokers: [`127.0.0.1:${kafkaBase}`],
    logLevel: logLevel.NOTHING,
    sasl: { mechanism: "scram-sha-512", username: "lee", password: "lee-secret" },
  });
  const client = kafka.admin();
  await client.connect();
  expect(await client.listTopics()).toEqual([]);
  await client.disconnect();
}, 90_000);
