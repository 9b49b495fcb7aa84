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
