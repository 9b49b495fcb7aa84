import { afterEach, beforeEach, expect, test } from "bun:test";
import { appFixture, type AppFixture } from "./fixture.ts";

let f: AppFixture;
beforeEach(async () => {
  f = await appFixture();
});
afterEach(async () => {
  await f.close();
});

function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

test("GET /metrics counts produced and consumed messages and bytes per topic, per-partition gauges, HTTP requests", async () => {
  await f.call("POST", "/create-topic", { topic: "demo", partitions: 2 });
  await f.call("POST", "/produce", { topic: "demo", message: "hello", partition: 0 });
  await f.call("POST", "/produce", { topic: "demo", messages: [{ message: "a", partition: 1 }, { message: "bc", partition: 1 }] });
  await f.call("GET", "/consume?topic=demo&partition=0&offset=0");
  await f.call("GET", "/topics/demo/partitions/1/records?offset=0");
  await f.call("GET", "/topics/nope");
  const res = await f.request("GET", "/metrics");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  const text = await res.text();
  expect(sample(text, "streamnest_messages_produced_total", 'topic="demo"')).toBe(3);
  expect(sample(text, "streamnest_messages_consumed_total", 'topic="demo"')).toBe(3);
  expect(sample(text, "streamnest_bytes_in_total", 'topic="demo"')).toBe(8);
  expect(sample(text, "streamnest_bytes_out_total", 'topic="demo"')).toBe(8);
  expect(sample(text, "streamnest_partition_end_offset", 'topic="demo",partition="0"')).toBe(1);
  expect(sample(text, "streamnest_partition_end_offset", 'topic="demo",partition="1"')).toBe(2);
  expect(sample(text, "streamnest_partition_log_bytes", 'topic="demo",partition="1"')).toBeGreaterThan(0);
  expect(sample(text, "streamnest_http_requests_total", 'method="POST",route="/produce",status="200"')).toBe(2);
  expect(sample(text, "streamnest_http_requests_total", 'method="GET",route="/topics/:topic",status="404"')).toBe(1);
  expect(text).toContain("streamnest_produce_latency_seconds_count 2");
  expect(text).toContain("streamnest_read_latency_seconds_count");
});

test("a deleted topic's series disappear", async () => {
  await f.call("POST", "/create-topic", { topic: "gone", partitions: 1 });
  await f.call("POST", "/produce", { topic: "gone", message: "x" });
  await f.call("DELETE", "/topics/gone");
  const text = await (await f.request("GET", "/metrics")).text();
  expect(text).not.toContain('topic="gone"');
});
