import { describe, expect, test } from "bun:test";
import { GROUP_CALL_OPS, parseGroupCall } from "../../src/broker/group-calls.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

function refusal(value: unknown): string {
  try {
    parseGroupCall(value);
  } catch (error) {
    if (error instanceof StreamNestError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return "accepted";
}

describe("parseGroupCall", () => {
  test("accepts every op's shape and returns only the fields of that op", () => {
    expect(parseGroupCall({ op: "list", group: "ignored" })).toEqual({ op: "list" });
    expect(parseGroupCall({ op: "leave", group: "g", memberId: "m", generation: 3 })).toEqual({ op: "leave", group: "g", memberId: "m" });
    expect(parseGroupCall({ op: "describe", group: "g", extra: 1 })).toEqual({ op: "describe", group: "g" });
    expect(parseGroupCall({ op: "offsets", group: "g" })).toEqual({ op: "offsets", group: "g", topic: undefined });
    expect(parseGroupCall({ op: "offsets", group: "g", topic: "t" })).toEqual({ op: "offsets", group: "g", topic: "t" });
    expect(parseGroupCall({ op: "delete-offsets", group: "g", topics: ["a", "b"] })).toEqual({ op: "delete-offsets", group: "g", topics: ["a", "b"] });
    expect(parseGroupCall({ op: "delete-offsets", group: "g" })).toEqual({ op: "delete-offsets", group: "g", topics: undefined });
    const commit = { memberId: "m", generation: 1, offsets: [{ topic: "t", partition: 0, offset: 5 }] };
    expect(parseGroupCall({ op: "commit", group: "g", request: commit })).toEqual({ op: "commit", group: "g", request: commit });
    const join = { topics: ["t"], memberId: "m", clientId: "c", assignor: "range", autoOffsetReset: "earliest" as const, sessionTimeoutMs: 10, rebalanceTimeoutMs: 20 };
    expect(parseGroupCall({ op: "join", group: "g", request: join })).toEqual({ op: "join", group: "g", request: join });
    expect([...GROUP_CALL_OPS]).toEqual(["join", "heartbeat", "leave", "commit", "offsets", "delete-offsets", "describe", "list"]);
  });

  test("names what is wrong", () => {
    const cases: [unknown, string][] = [
      [null, "not an object"],
      [[{ op: "list" }], "not an object"],
      [{ op: "drop" }, 'unknown op "drop"'],
      [{}, "unknown op undefined"],
      [{ op: "toString" }, 'unknown op "toString"'],
      [{ op: "describe", group: 1 }, "group must be a string"],
      [{ op: "join", group: "g", request: { topics: [1] } }, "request.topics must be strings"],
      [{ op: "join", group: "g", request: { topics: [], waitMs: "5" } }, "request.waitMs must be a number"],
      [{ op: "join", group: "g", request: { topics: [], assignor: 3 } }, "request.assignor must be a string"],
      [{ op: "heartbeat", group: "g", memberId: "m", generation: "1" }, "generation must be a number"],
      [{ op: "leave", group: "g" }, "memberId must be a string"],
      [{ op: "commit", group: "g", request: { offsets: [1] } }, "request.offsets must be objects"],
      [{ op: "commit", group: "g", request: { offsets: [{ topic: "t", partition: "0", offset: 1 }] } }, "each offset needs topic, partition and offset"],
      [{ op: "commit", group: "g", request: { offsets: [], memberId: 5 } }, "request.memberId must be a string"],
      [{ op: "commit", group: "g", request: { offsets: [], generation: "2" } }, "request.generation must be a number"],
      [{ op: "offsets", group: "g", topic: 7 }, "topic must be a string"],
      [{ op: "delete-offsets", group: "g", topics: "t" }, "topics must be strings"],
    ];
    for (const [value, why] of cases) expect(refusal(value)).toBe(`INVALID_REQUEST: not a group call: ${why}`);
  });
});
