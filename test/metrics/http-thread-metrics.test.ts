import { expect, test } from "bun:test";
import { Registry } from "prom-client";
import { registerHttpThreadMetric } from "../../src/metrics/http-thread-metrics.ts";

test("each worker's count as a counter by thread; the owner (thread 0) takes none from the port", async () => {
  const registry = new Registry();
  let counts = [0, 5, 0];
  registerHttpThreadMetric(registry, () => counts);
  const lines = async () => (await registry.metrics()).split("\n").filter((l) => l.startsWith("streamnest_http_thread_requests_total{"));
  expect(await lines()).toEqual(['streamnest_http_thread_requests_total{thread="1"} 5', 'streamnest_http_thread_requests_total{thread="2"} 0']);
  counts = [0, 9, 4];
  expect(await lines()).toEqual(['streamnest_http_thread_requests_total{thread="1"} 9', 'streamnest_http_thread_requests_total{thread="2"} 4']);
});
