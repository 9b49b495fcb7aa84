import { describe, expect, test } from "bun:test";
import { rangeAssign } from "../../src/groups/range-assignor.ts";

const tps = (topic: string, ...partitions: number[]) => partitions.map((partition) => ({ topic, partition }));

describe("range assignor (Kafka's RangeAssignor)", () => {
  test("splits one topic into contiguous ranges, the first members taking the remainder", () => {
    const out = rangeAssign(
      [{ memberId: "c", topics: ["t"] }, { memberId: "a", topics: ["t"] }, { memberId: "b", topics: ["t"] }],
      new Map([["t", 7]]),
    );
    expect(out.get("a")).toEqual(tps("t", 0, 1, 2));
    expect(out.get("b")).toEqual(tps("t", 3, 4));
    expect(out.get("c")).toEqual(tps("t", 5, 6));
  });

  test("six partitions over two members: three each, disjoint", () => {
    const out = rangeAssign([{ memberId: "m1", topics: ["t"] }, { memberId: "m2", topics: ["t"] }], new Map([["t", 6]]));
    expect(out.get("m1")).toEqual(tps("t", 0, 1, 2));
    expect(out.get("m2")).toEqual(tps("t", 3, 4, 5));
  });

  test("each topic is ranged over its own subscribers only", () => {
    const out = rangeAssign(
      [{ memberId: "a", topics: ["x", "y"] }, { memberId: "b", topics: ["y"] }],
      new Map([["x", 2], ["y", 3]]),
    );
    expect(out.get("a")).toEqual([...tps("x", 0, 1), ...tps("y", 0, 1)]);
    expect(out.get("b")).toEqual(tps("y", 2));
  });

  test("more members than partitions leaves the last members empty", () => {
    const out = rangeAssign(
      [{ memberId: "a", topics: ["t"] }, { memberId: "b", topics: ["t"] }, { memberId: "c", topics: ["t"] }],
      new Map([["t", 2]]),
    );
    expect(out.get("a")).toEqual(tps("t", 0));
    expect(out.get("b")).toEqual(tps("t", 1));
    expect(out.get("c")).toEqual([]);
  });

  test("a topic without a partition count (deleted) is skipped", () => {
    const out = rangeAssign([{ memberId: "a", topics: ["gone", "t"] }], new Map([["t", 1]]));
    expect(out.get("a")).toEqual(tps("t", 0));
  });
});
