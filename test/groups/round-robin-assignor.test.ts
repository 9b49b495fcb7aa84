import { describe, expect, test } from "bun:test";
import { roundRobinAssign } from "../../src/groups/round-robin-assignor.ts";

const tp = (topic: string, partition: number) => ({ topic, partition });

describe("round-robin assignor (Kafka's RoundRobinAssignor)", () => {
  test("deals all partitions of all topics in turn, sorted by topic and partition", () => {
    const out = roundRobinAssign(
      [{ memberId: "b", topics: ["x", "y"] }, { memberId: "a", topics: ["x", "y"] }],
      new Map([["x", 3], ["y", 2]]),
    );
    expect(out.get("a")).toEqual([tp("x", 0), tp("x", 2), tp("y", 1)]);
    expect(out.get("b")).toEqual([tp("x", 1), tp("y", 0)]);
  });

  test("skips members that do not subscribe to a partition's topic", () => {
    const out = roundRobinAssign(
      [{ memberId: "a", topics: ["x"] }, { memberId: "b", topics: ["x", "y"] }, { memberId: "c", topics: ["y"] }],
      new Map([["x", 2], ["y", 3]]),
    );
    expect(out.get("a")).toEqual([tp("x", 0)]);
    expect(out.get("b")).toEqual([tp("x", 1), tp("y", 1)]);
    expect(out.get("c")).toEqual([tp("y", 0), tp("y", 2)]);
  });

  test("with equal subscriptions the counts differ by at most one, across many shapes", () => {
    for (let members = 1; members <= 7; members++)
      for (let partitions = 0; partitions <= 20; partitions++) {
        const ms = Array.from({ length: members }, (_, i) => ({ memberId: `m${i}`, topics: ["a", "b"] }));
        const out = roundRobinAssign(ms, new Map([["a", partitions], ["b", partitions + 1]]));
        const counts = [...out.values()].map((l) => l.length);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        const all = [...out.values()].flat().map((x) => `${x.topic}-${x.partition}`);
        expect(new Set(all).size).toBe(2 * partitions + 1);
        expect(all.length).toBe(2 * partitions + 1);
      }
  });

  test("no members, no assignment", () => {
    expect(roundRobinAssign([], new Map([["t", 3]])).size).toBe(0);
  });
});
