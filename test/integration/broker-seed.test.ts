import { afterAll, beforeAll, expect, test } from "bun:test";
import { type BrokerProcess, startBroker } from "../helpers/broker-harness.ts";
import { partitionForKey } from "../../src/lib/murmur2.ts";

/** The original README's walkthrough, against a real broker process, answer for answer. */
let broker: BrokerProcess;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ broker, stop } = await startBroker());
});
afterAll(async () => {
  await stop();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${broker.url}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : JSON.parse(text) };
}

test("the seed walkthrough", async () => {
  expect(broker.output).toContain(`Broker 1 running on :${broker.port}`);

  expect(await call("POST", "/create-topic", { topic: "demo", partitions: 3 })).toEqual({ status: 200, body: { status: "created" } });
  expect(await call("POST", "/create-topic", { topic: "demo", partitions: 3 })).toEqual({ status: 200, body: { status: "exists" } });
  expect((await call("POST", "/create-topic", { topic: "demo", partitions: 5 })).status).toBe(409);
  expect(await call("GET", "/list-topics")).toEqual({ status: 200, body: { topics: ["demo"] } });

  const metadata = await call("GET", "/metadata");
  expect(metadata.body.topic_partitions.demo.partitions.map((p: { partition: number; broker: string }) => [p.partition, p.broker])).toEqual([
    [0, broker.address],
    [1, broker.address],
    [2, broker.address],
  ]);

  expect(await call("POST", "/produce", { topic: "demo", message: "hello", partition: 1 })).toEqual({
    status: 200,
    body: { offset: 0, partition: 1 },
  });
  expect(await call("POST", "/produce", { topic: "demo", message: "world", partition: 1 })).toEqual({
    status: 200,
    body: { offset: 1, partition: 1 },
  });
  const keyed = await call("POST", "/produce", { topic: "demo", message: "for user-42", key: "user-42" });
  expect(keyed.body.partition).toBe(partitionForKey("user-42", 3));
  const roundRobin = [];
  for (let i = 0; i < 3; i++) roundRobin.push((await call("POST", "/produce", { topic: "demo", message: `rr${i}` })).body.partition);
  expect([...roundRobin].sort()).toEqual([0, 1, 2]);

  expect(await call("GET", "/consume?topic=demo&partition=1&offset=0")).toEqual({ status: 200, body: { offset: 0, message: "hello" } });
  expect(await call("GET", "/consume?topic=demo&partition=1&offset=1")).toEqual({ status: 200, body: { offset: 1, message: "world" } });
  expect((await call("GET", "/consume?topic=demo&partition=1&offset=99")).status).toBe(204);

  expect(await call("POST", "/register-schema", { topic: "demo", schema: { type: "object", required: ["id"] } })).toEqual({
    status: 200,
    body: { status: "schema registered", version: 1 },
  });
  const refused = await call("POST", "/produce", { topic: "demo", message: "plain text", partition: 0 });
  expect([refused.status, refused.body.error]).toEqual([400, "SCHEMA_VIOLATION"]);
  expect((await call("POST", "/produce", { topic: "demo", message: '{"id":1}', partition: 0 })).status).toBe(200);

  const metrics = await (await fetch(`${broker.url}/metrics`)).text();
  expect(metrics).toMatch(/^streamnest_messages_produced_total\{topic="demo"\} 7$/m);
  expect(metrics).toMatch(/^streamnest_messages_consumed_total\{topic="demo"\} 2$/m);

  const missing = await call("GET", "/no-such-route");
  expect([missing.status, missing.body.error]).toEqual([404, "NOT_FOUND"]);
  const swagger = await fetch(`${broker.url}/swagger`);
  expect(swagger.status).toBe(200);
});
