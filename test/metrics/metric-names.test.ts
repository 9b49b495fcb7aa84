import { describe, expect, test } from "bun:test";
import { METRIC } from "../../src/metrics/metric-names.ts";

describe("METRIC", () => {
  test("the seed's two counters keep their names", () => {
    expect(METRIC.messagesProduced).toBe("streamnest_messages_produced_total");
    expect(METRIC.messagesConsumed).toBe("streamnest_messages_consumed_total");
  });

  test("every name is unique, prefixed, and follows Prometheus naming (counters end in _total, durations in _seconds)", () => {
    const names = Object.values(METRIC);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^streamnest_[a-z][a-z0-9_]*[a-z0-9]$/);
    const totals = Object.entries(METRIC).filter(([, n]) => n.endsWith("_total")).map(([k]) => k);
    expect(totals).toEqual(["messagesProduced", "messagesConsumed", "bytesIn", "bytesOut", "httpRequests", "httpThreadRequests", "protocolRequests", "isrShrinks", "isrExpands", "leaderElections"]);
    expect(Object.entries(METRIC).filter(([k]) => k.endsWith("Latency")).map(([, n]) => n)).toEqual([
      "streamnest_produce_latency_seconds",
      "streamnest_read_latency_seconds",
    ]);
  });
});
