import { describe, expect, test } from "bun:test";
import { renderDescription } from "../../src/commands/topics.ts";

describe("renderDescription", () => {
  test("aligns the columns and shows '-' where the answering broker does not know the offsets", () => {
    const text = renderDescription({
      topic: "orders",
      created_at: 1,
      schema_version: 2,
      partitions: [
        { partition: 0, leader: 1, replicas: [1], leader_epoch: 0, broker: "localhost:8080", start_offset: 0, end_offset: 1234, size_bytes: 98765 },
        { partition: 1, leader: 2, replicas: [2], leader_epoch: 0, broker: "localhost:8081" },
      ],
    });
    expect(text).toBe(
      "Topic: orders  Partitions: 2  Schema: version 2\n" +
        "PARTITION  LEADER          START  END   MESSAGES  BYTES\n" +
        "0          localhost:8080  0      1234  1234      98765\n" +
        "1          localhost:8081  -      -     -         -\n",
    );
  });
});

describe("renderDescription of a replicated topic", () => {
  test("adds the factor, min ISR and per partition the replicas, ISR, leader epoch and high watermark", () => {
    const text = renderDescription({
      topic: "safe",
      created_at: 1,
      schema_version: null,
      replication_factor: 3,
      min_insync_replicas: 2,
      partitions: [
        { partition: 0, leader: 2, replicas: [1, 2, 3], isr: [2, 3], leader_epoch: 1, broker: "localhost:8081", start_offset: 0, end_offset: 60, size_bytes: 2048, high_watermark: 58 },
        { partition: 1, leader: 2, replicas: [2, 3, 1], isr: [2, 3, 1], leader_epoch: 0, broker: "localhost:8081" },
      ],
    });
    expect(text).toBe(
      "Topic: safe  Partitions: 2  Schema: none  Replication: 3  Min ISR: 2\n" +
        "PARTITION  LEADER          START  END  MESSAGES  BYTES  REPLICAS  ISR    EPOCH  HW\n" +
        "0          localhost:8081  0      60   60        2048   1,2,3     2,3    1      58\n" +
        "1          localhost:8081  -      -    -         -      2,3,1     2,3,1  0      -\n",
    );
  });
});

describe("renderDescription with the topic's settings", () => {
  test("a line under the title names each setting's value and where it comes from", () => {
    const text = renderDescription({
      topic: "logs",
      created_at: 1,
      schema_version: null,
      partitions: [{ partition: 0, leader: 1, replicas: [1], leader_epoch: 0, broker: "localhost:8080", start_offset: 5, end_offset: 9, size_bytes: 10 }],
      config: { retention_ms: { value: 3_600_000, source: "topic" }, retention_bytes: { value: null, source: "default" } },
    });
    expect(text).toBe(
      "Topic: logs  Partitions: 1  Schema: none\n" +
        "retention.ms=3600000 (topic)  retention.bytes=keep (default)\n" +
        "PARTITION  LEADER          START  END  MESSAGES  BYTES\n" +
        "0          localhost:8080  5      9    4         10\n",
    );
  });
});
