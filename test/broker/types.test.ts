import { describe, expect, test } from "bun:test";
import { isProduceFailure, type ProduceOutcome } from "../../src/broker/types.ts";

describe("isProduceFailure", () => {
  test("tells a refused record from an acknowledged one, offset 0 included", () => {
    const outcomes: ProduceOutcome[] = [
      { partition: 0, offset: 0 },
      { error: "MESSAGE_TOO_LARGE", message: "too large" },
      { error: "NOT_LEADER_OR_FOLLOWER", message: "elsewhere", details: { leader: 2 } },
    ];
    expect(outcomes.map(isProduceFailure)).toEqual([false, true, true]);
  });
});
