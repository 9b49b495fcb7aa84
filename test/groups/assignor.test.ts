import { describe, expect, test } from "bun:test";
import { compareTopicPartitions, sortedMembers } from "../../src/groups/assignor.ts";

describe("compareTopicPartitions", () => {
  test("orders by topic (code unit order), then by partition as a number", () => {
    const list = [
      { topic: "b", partition: 0 },
      { topic: "a", partition: 10 },
      { topic: "B", partition: 1 },
      { topic: "a", partition: 2 },
    ];
    expect([...list].sort(compareTopicPartitions)).toEqual([
      { topic: "B", partition: 1 },
      { topic: "a", partition: 2 },
      { topic: "a", partition: 10 },
      { topic: "b", partition: 0 },
    ]);
    expect(compareTopicPartitions({ topic: "x", partition: 3 }, { topic: "x", partition: 3 })).toBe(0);
  });
});

describe("sortedMembers", () => {
  test("sorts by member id without changing the input", () => {
    const members = [
      { memberId: "m-2", topics: ["t"] },
      { memberId: "m-10", topics: [] },
      { memberId: "m-1", topics: ["u"] },
    ];
    expect(sortedMembers(members).map((m) => m.memberId)).toEqual(["m-1", "m-10", "m-2"]);
    expect(members.map((m) => m.memberId)).toEqual(["m-2", "m-10", "m-1"]);
    expect(sortedMembers(members)[0]).toBe(members[2]);
  });
});
