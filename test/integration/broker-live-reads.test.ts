import { afterAll, beforeAll, expect, test } from "bun:test";
import { type BrokerProcess, startBroker } from "../helpers/broker-harness.ts";
import { SseReader } from "../http/sse-reader.ts";

/** Long polls and live tails against a real broker process. */
let broker: BrokerProcess;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ broker, stop } = await startBroker());
  await post("/create-topic", { topic: "live", partitions: 2 });
});
afterAll(async () => {
  await stop();
});

async function post(path: string, body: unknown): Promise<any> {
  const res = await fetch(`${broker.url}${path}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  expect(res.status).toBe(200);
  return res.json();
}

async function gauge(name: string): Promise<number> {
  const text = await (await fetch(`${broker.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return Number(line?.split(" ")[1] ?? Number.NaN);
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await Bun.sleep(10);
}

test("a long poll is woken by the append", async () => {
  const waiting = fetch(`${broker.url}/topics/live/partitions/0/records?offset=0&timeout_ms=60000`).then((r) => r.json());
  await until(async () => (await gauge("streamnest_waiting_fetches")) === 1);
  await post("/produce", { topic: "live", message: "wake up", partition: 0 });
  const answer = (await waiting) as { records: { offset: number; message: string }[]; next_offset: number };
  expect(answer.records.map((r) => [r.offset, r.message])).toEqual([[0, "wake up"]]);
  expect(answer.next_offset).toBe(1);

  const consume = fetch(`${broker.url}/consume?topic=live&partition=0&offset=1&wait_ms=60000`).then((r) => r.json());
  await until(async () => (await gauge("streamnest_waiting_fetches")) === 1);
  await post("/produce", { topic: "live", message: "again", partition: 0 });
  expect(await consume).toEqual({ offset: 1, message: "again" });
});

test("server-sent events deliver every record in order, live, and free the stream on disconnect", async () => {
  const controller = new AbortController();
  const res = await fetch(`${broker.url}/topics/live/partitions/1/records/stream?offset=0`, { signal: controller.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  const sse = new SseReader(res.body as ReadableStream<Uint8Array>);
  // Concurrent producers: singles and batches interleave, and the stream must follow the log's order.
  const producers = [
    (async () => {
      for (let i = 0; i < 100; i++) await post("/produce", { topic: "live", message: `s${i}`, partition: 1 });
    })(),
    (async () => {
      for (let b = 0; b < 10; b++)
        await post("/produce", { topic: "live", messages: Array.from({ length: 20 }, (_, i) => ({ message: `b${b}-${i}`, partition: 1 })) });
    })(),
  ];
  const received = await sse.records(300);
  await Promise.all(producers);
  expect(received.map((r) => r.offset)).toEqual(Array.from({ length: 300 }, (_, i) => i));
  const log = (await (await fetch(`${broker.url}/topics/live/partitions/1/records?offset=0&max=1000`)).json()) as {
    records: { message: string }[];
  };
  expect(received.map((r) => r.message)).toEqual(log.records.map((r) => r.message));
  expect(received.filter((r) => r.message.startsWith("s")).map((r) => r.message)).toEqual(Array.from({ length: 100 }, (_, i) => `s${i}`));

  expect(await gauge("streamnest_active_streams")).toBe(1);
  controller.abort();
  await until(async () => (await gauge("streamnest_active_streams")) === 0);
});
