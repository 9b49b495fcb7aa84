import { describe, expect, test } from "bun:test";
import { StreamNestError } from "../../../src/lib/errors.ts";
import { KAFKA_ERROR, kafkaErrorOf, protocolError } from "../../../src/kafka/protocol/error-codes.ts";

describe("Kafka error codes", () => {
  test("carry the protocol guide's numbers", () => {
    expect(KAFKA_ERROR.NOT_LEADER_OR_FOLLOWER).toBe(6);
    expect(KAFKA_ERROR.UNSUPPORTED_VERSION).toBe(35);
    expect(KAFKA_ERROR.INVALID_RECORD).toBe(87);
    expect(KAFKA_ERROR.UNKNOWN_SERVER_ERROR).toBe(-1);
  });

  test("a codec error is a StreamNestError naming its Kafka error", () => {
    const e = protocolError("INVALID_REQUEST", "UNSUPPORTED_VERSION", "Metadata v99");
    expect(e).toBeInstanceOf(StreamNestError);
    expect(e.code).toBe("INVALID_REQUEST");
    expect(e.details).toEqual({ kafkaError: "UNSUPPORTED_VERSION", kafkaErrorCode: 35 });
    expect(kafkaErrorOf(e)).toBe("UNSUPPORTED_VERSION");
  });

  test("other errors carry no Kafka error", () => {
    expect(kafkaErrorOf(new StreamNestError("TOPIC_NOT_FOUND", "x"))).toBeUndefined();
    expect(kafkaErrorOf(new Error("x"))).toBeUndefined();
  });
});
