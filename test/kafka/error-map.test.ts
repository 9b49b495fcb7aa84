import { describe, expect, test } from "bun:test";
import { kafkaErrorCode, kafkaErrorName } from "../../src/kafka/error-map.ts";
import { KAFKA_ERROR } from "../../src/kafka/protocol/index.ts";
import { protocolError } from "../../src/kafka/protocol/error-codes.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

describe("StreamNestError codes as Kafka error codes", () => {
  test.each([
    ["TOPIC_NOT_FOUND", "UNKNOWN_TOPIC_OR_PARTITION"],
    ["PARTITION_OUT_OF_RANGE", "UNKNOWN_TOPIC_OR_PARTITION"],
    ["INVALID_TOPIC_NAME", "INVALID_TOPIC_EXCEPTION"],
    ["NOT_LEADER_OR_FOLLOWER", "NOT_LEADER_OR_FOLLOWER"],
    ["LEADER_UNAVAILABLE", "LEADER_NOT_AVAILABLE"],
    ["SCHEMA_VIOLATION", "INVALID_RECORD"],
    ["OFFSET_OUT_OF_RANGE", "OFFSET_OUT_OF_RANGE"],
    ["TOPIC_EXISTS", "TOPIC_ALREADY_EXISTS"],
    ["NOT_COORDINATOR", "NOT_COORDINATOR"],
    ["REBALANCE_IN_PROGRESS", "REBALANCE_IN_PROGRESS"],
    ["STORAGE_FULL", "KAFKA_STORAGE_ERROR"],
    ["UNAUTHORIZED", "UNKNOWN_SERVER_ERROR"],
  ] as const)("%s is %s", (code, kafka) => {
    expect(kafkaErrorName(new StreamNestError(code, "x"))).toBe(kafka);
    expect(kafkaErrorCode(new StreamNestError(code, "x"))).toBe(KAFKA_ERROR[kafka]);
  });

  test("a codec error's own Kafka error wins; anything else is UNKNOWN_SERVER_ERROR", () => {
    expect(kafkaErrorName(protocolError("INVALID_REQUEST", "CORRUPT_MESSAGE", "bad crc"))).toBe("CORRUPT_MESSAGE");
    expect(kafkaErrorCode(new Error("boom"))).toBe(-1);
  });
});
