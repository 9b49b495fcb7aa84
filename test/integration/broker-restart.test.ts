import { afterEach, expect, test } from "bun:test";
import { type BrokerProcess, startBroker } from "../helpers/broker-harness.ts";

/** Topics, schemas and every acknowledged message survive a clean restart and kill -9. */
let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

async function post(broker: BrokerProcess, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${broker.url}${path}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  expect(res.status).toBe(200);
  return res.json();
}

async function records(broker: BrokerProcess, topic: string, partition: number): Promise<any[]> {
  const res = await fetch(`${broker.url}/topics/${topic}/partitions/${partition}/records?offset=0&max=10000`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { records: any[] }).records;
}

const MESSAGES = ["plain", "ünïcödé 🚀", 'quote " and \\ backslash', "line\nbreak", "x".repeat(50_000), ""];

async function fill(broker: BrokerProcess): Promise<void> {
  await post(broker, "/create-topic", { topic: "keep", partitions: 2 });
  await post(broker, "/create-topic", { topic: "other", partitions: 1 });
  await post(broker, "/register-schema", { topic: "other", schema: { type: "object", required: ["n"] } });
  for (const message of MESSAGES) await post(broker, "/produce", { topic: "keep", message, partition: 0, key: "k", headers: { h: "v" } });
  await post(broker, "/produce", { topic: "keep", messages: Array.from({ length: 500 }, (_, i) => ({ message: `batch-${i}`, partition: 1 })) });
  await post(broker, "/produce", { topic: "other", message: '{"n":1}' });
}

async function verify(broker: BrokerProcess): Promise<void> {
  const topics = (await (await fetch(`${broker.url}/list-topics`)).json()) as { topics: string[] };
  expect(topics).toEqual({ topics: ["keep", "other"] });
  const p0 = await records(broker, "keep", 0);
  expect(p0.map((r) => r.message)).toEqual(MESSAGES);
  expect(p0.map((r) => [r.offset, r.key, r.headers])).toEqual(MESSAGES.map((_, i) => [i, "k", { h: "v" }]));
  const p1 = await records(broker, "keep", 1);
  expect(p1.map((r) => r.message)).toEqual(Array.from({ length: 500 }, (_, i) => `batch-${i}`));
  const schemas = (await (await fetch(`${broker.url}/schemas/other`)).json()) as { versions: { schema: unknown }[] };
  expect(schemas.versions.map((v) => v.schema)).toEqual([{ type: "object", required: ["n"] }]);
  // The schema is still enforced, and offsets continue where they were.
  const refused = await fetch(`${broker.url}/produce`, { method: "POST", body: JSON.stringify({ topic: "other", message: "{}" }) });
  expect(refused.status).toBe(400);
  expect(await post(broker, "/produce", { topic: "keep", message: "after", partition: 0 })).toEqual({ offset: MESSAGES.length, partition: 0 });
}

test("a clean restart (SIGTERM, exit 0) keeps everything", async () => {
  const started = await startBroker();
  stop = started.stop;
  await fill(started.broker);
  expect(await started.broker.stop()).toBe(0);
  await started.broker.start();
  await verify(started.broker);
});

test("kill -9 keeps every acknowledged message", async () => {
  const started = await startBroker();
  stop = started.stop;
  await fill(started.broker);
  await started.broker.kill9();
  await started.broker.start();
  await verify(started.broker);
});

test("a deleted topic stays deleted after a restart and comes back empty when created again", async () => {
  const started = await startBroker();
  stop = started.stop;
  const { broker } = started;
  await post(broker, "/create-topic", { topic: "temp", partitions: 1 });
  await post(broker, "/produce", { topic: "temp", message: "old" });
  const deleted = await fetch(`${broker.url}/topics/temp`, { method: "DELETE" });
  expect(deleted.status).toBe(200);
  await broker.kill9();
  await broker.start();
  expect(await (await fetch(`${broker.url}/list-topics`)).json()).toEqual({ topics: [] });
  await post(broker, "/create-topic", { topic: "temp", partitions: 1 });
  expect(await records(broker, "temp", 0)).toEqual([]);
});
