import { describe, expect, test } from "bun:test";
import { kafkaErrorCode, kafkaErrorName, reportUnknownErrorsTo } from "../../src/kafka/error-map.ts";
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

  test("an error that becomes UNKNOWN_SERVER_ERROR is logged, each distinct one once a minute; a mapped one is not", () => {
    const lines: string[] = [];
    reportUnknownErrorsTo((line) => lines.push(line));
    try {
      kafkaErrorCode(new StreamNestError("TOPIC_NOT_FOUND", "no such topic"));
      kafkaErrorCode(new StreamNestError("STALE_BROKER_EPOCH", "the broker restarted"));
      kafkaErrorCode(new StreamNestError("STALE_BROKER_EPOCH", "the broker restarted"));
      kafkaErrorCode(new StreamNestError("INTERNAL_ERROR", "another"));
      expect(lines).toEqual([
        "kafka: answered UNKNOWN_SERVER_ERROR for STALE_BROKER_EPOCH: the broker restarted",
        "kafka: answered UNKNOWN_SERVER_ERROR for INTERNAL_ERROR: another",
      ]);
    } finally {
      reportUnknownErrorsTo(undefined);
    }
  });
});
