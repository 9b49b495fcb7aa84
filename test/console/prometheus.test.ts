import { describe, expect, test } from "bun:test";
import { parsePrometheus, sumBy, sumOf } from "../../src/console/prometheus.ts";

const TEXT = `# HELP streamnest_messages_produced_total Messages produced
# TYPE streamnest_messages_produced_total counter
streamnest_messages_produced_total{topic="demo"} 12
streamnest_messages_produced_total{topic="a\\"b"} 3
streamnest_messages_consumed_total{topic="demo",protocol="http"} 4
streamnest_messages_consumed_total{topic="demo",protocol="kafka"} 6
process_cpu_seconds_total 1.5e2
bucket{le="+Inf"} +Inf
garbage line
`;

describe("prometheus text", () => {
  test("samples with their labels and values", () => {
    const samples = parsePrometheus(TEXT);
    expect(samples).toEqual([
      { name: "streamnest_messages_produced_total", labels: { topic: "demo" }, value: 12 },
      { name: "streamnest_messages_produced_total", labels: { topic: 'a"b' }, value: 3 },
      { name: "streamnest_messages_consumed_total", labels: { topic: "demo", protocol: "http" }, value: 4 },
      { name: "streamnest_messages_consumed_total", labels: { topic: "demo", protocol: "kafka" }, value: 6 },
      { name: "process_cpu_seconds_total", labels: {}, value: 150 },
      { name: "bucket", labels: { le: "+Inf" }, value: Number.POSITIVE_INFINITY },
    ]);
  });

  test("sums over labels", () => {
    const samples = parsePrometheus(TEXT);
    expect(sumOf(samples, "streamnest_messages_produced_total")).toBe(15);
    expect(sumOf(samples, "streamnest_messages_consumed_total", { protocol: "kafka" })).toBe(6);
    expect(sumOf(samples, "missing")).toBe(0);
    expect([...sumBy(samples, "streamnest_messages_consumed_total", "topic")]).toEqual([["demo", 10]]);
  });
});
