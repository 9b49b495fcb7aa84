import { afterAll, beforeAll, expect, test } from "bun:test";
import { type BrokerProcess, startBroker } from "../helpers/broker-harness.ts";

/** Schema enforcement against a real broker process. */
let broker: BrokerProcess;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ broker, stop } = await startBroker());
});
afterAll(async () => {
  await stop();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${broker.url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : JSON.parse(text) };
}

test("registered schemas are enforced per message, versions accumulate, and nothing refused is written", async () => {
  await call("POST", "/create-topic", { topic: "orders", partitions: 1 });
  const order = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    required: ["id", "total"],
    properties: { id: { type: "string", format: "uuid" }, total: { type: "number", minimum: 0 } },
  };
  expect((await call("POST", "/register-schema", { topic: "orders", schema: order })).body).toEqual({ status: "schema registered", version: 1 });

  const good = JSON.stringify({ id: "5f0c9a52-6f3e-4c5b-9a57-1d2c3b4a5e6f", total: 12.5 });
  const refused = await call("POST", "/produce", { topic: "orders", message: JSON.stringify({ id: "nope", total: -1 }) });
  expect(refused.status).toBe(400);
  expect(refused.body.error).toBe("SCHEMA_VIOLATION");
  expect(refused.body.details.violations.map((v: { path: string }) => v.path).sort()).toEqual(["/id", "/total"]);

  const batch = await call("POST", "/produce", { topic: "orders", messages: [{ message: good }, { message: "{}" }, { message: good }] });
  expect(batch.status).toBe(200);
  expect(batch.body.results[0]).toEqual({ partition: 0, offset: 0 });
  expect(batch.body.results[1].error).toBe("SCHEMA_VIOLATION");
  expect(batch.body.results[2]).toEqual({ partition: 0, offset: 1 });

  const invalid = await call("POST", "/register-schema", { topic: "orders", schema: { type: 12 } });
  expect([invalid.status, invalid.body.error]).toEqual([400, "INVALID_SCHEMA"]);
  expect((await call("POST", "/register-schema", { topic: "orders", schema: { type: "string" } })).body.version).toBe(2);
  expect((await call("POST", "/produce", { topic: "orders", message: '"just a string"' })).body).toEqual({ offset: 2, partition: 0 });

  const read = await call("GET", "/topics/orders/partitions/0/records?offset=0");
  expect(read.body.records.map((r: { message: string }) => r.message)).toEqual([good, good, '"just a string"']);
  expect((await call("GET", "/schemas/orders")).body.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
});
