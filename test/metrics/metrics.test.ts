import { expect, test } from "bun:test";
import { BrokerMetrics, METRIC } from "../../src/metrics/metrics.ts";

function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test("every metric name is declared once and exported", async () => {
  const metrics = new BrokerMetrics();
  const text = await metrics.text();
  for (const name of Object.values(METRIC)) expect(text).toContain(`# TYPE ${name} `);
  // Bun/process defaults are there too.
  expect(text).toContain("process_cpu_seconds_total");
  expect(new Set(Object.values(METRIC)).size).toBe(Object.values(METRIC).length);
});

test("topic counters are plain numbers copied at scrape; forgetting a topic drops its series", async () => {
  const metrics = new BrokerMetrics({ defaultMetrics: false });
  const demo = metrics.topic("demo");
  expect(metrics.topic("demo")).toBe(demo);
  demo.produced += 3;
  demo.bytesIn += 300;
  demo.consumed += 2;
  demo.bytesOut += 200;
  let text = await metrics.text();
  expect(value(text, 'streamnest_messages_produced_total{topic="demo"}')).toBe(3);
  expect(value(text, 'streamnest_messages_consumed_total{topic="demo"}')).toBe(2);
  expect(value(text, 'streamnest_bytes_in_total{topic="demo"}')).toBe(300);
  expect(value(text, 'streamnest_bytes_out_total{topic="demo"}')).toBe(200);
  demo.produced += 1;
  text = await metrics.text();
  expect(value(text, 'streamnest_messages_produced_total{topic="demo"}')).toBe(4);
  metrics.forgetTopic("demo");
  expect(await metrics.text()).not.toContain('topic="demo"');
});

test("HTTP requests are counted by method, route and status", async () => {
  const metrics = new BrokerMetrics({ defaultMetrics: false });
  metrics.httpRequest("POST", "/produce", 200);
  metrics.httpRequest("POST", "/produce", 200);
  metrics.httpRequest("GET", "/consume", 204);
  const text = await metrics.text();
  expect(value(text, 'streamnest_http_requests_total{method="POST",route="/produce",status="200"}')).toBe(2);
  expect(value(text, 'streamnest_http_requests_total{method="GET",route="/consume",status="204"}')).toBe(1);
});

test("a request counter made once counts as httpRequest does, and making it counts nothing", async () => {
  const metrics = new BrokerMetrics({ defaultMetrics: false });
  const produced = metrics.httpRequestCounter("POST", "/produce", 200);
  const refused = metrics.httpRequestCounter("POST", "/produce", 404);
  let text = await metrics.text();
  expect(text).not.toContain('route="/produce"');
  expect(text).not.toContain('api="POST /produce"');
  produced();
  produced();
  metrics.httpRequest("POST", "/produce", 200);
  refused();
  text = await metrics.text();
  expect(value(text, 'streamnest_http_requests_total{method="POST",route="/produce",status="200"}')).toBe(3);
  expect(value(text, 'streamnest_http_requests_total{method="POST",route="/produce",status="404"}')).toBe(1);
  expect(value(text, 'streamnest_protocol_requests_total{protocol="http",api="POST /produce",outcome="ok"}')).toBe(3);
  expect(value(text, 'streamnest_protocol_requests_total{protocol="http",api="POST /produce",outcome="error"}')).toBe(1);
});

test("per-partition gauges are read from the source when scraped", async () => {
  const metrics = new BrokerMetrics({ defaultMetrics: false });
  let end = 5;
  let reads = 0;
  metrics.setPartitionSource(() => {
    reads++;
    return [{ topic: "t", partition: 0, endOffset: end, sizeBytes: 1234 }];
  });
  expect(reads).toBe(0);
  let text = await metrics.text();
  expect(value(text, 'streamnest_partition_end_offset{topic="t",partition="0"}')).toBe(5);
  expect(value(text, 'streamnest_partition_log_bytes{topic="t",partition="0"}')).toBe(1234);
  end = 9;
  text = await metrics.text();
  expect(value(text, 'streamnest_partition_end_offset{topic="t",partition="0"}')).toBe(9);
  metrics.setPartitionSource(() => []);
  expect(await metrics.text()).not.toContain('streamnest_partition_end_offset{topic="t"');
});
