import { expect, test } from "bun:test";
import { candidateLogIsUpToDate, isVoter, majorityOf } from "../../../src/cluster/quorum/vote-rules.ts";

test("a candidate's log must end in a later epoch, or the same epoch at least as far", () => {
  const own = { lastEpoch: 3, endOffset: 10 };
  expect(candidateLogIsUpToDate({ lastEpoch: 4, lastOffset: 2 }, own)).toBe(true);
  expect(candidateLogIsUpToDate({ lastEpoch: 3, lastOffset: 10 }, own)).toBe(true);
  expect(candidateLogIsUpToDate({ lastEpoch: 3, lastOffset: 9 }, own)).toBe(false);
  expect(candidateLogIsUpToDate({ lastEpoch: 2, lastOffset: 50 }, own)).toBe(false);
});

test("a voter is its id on its own disk; one recorded without a directory id takes any", () => {
  const voters = [
    { id: 1, directoryId: "d1" },
    { id: 2, directoryId: null },
  ];
  expect(isVoter(voters, 1, "d1")).toBe(true);
  expect(isVoter(voters, 1, "wiped")).toBe(false);
  expect(isVoter(voters, 2, "anything")).toBe(true);
  expect(isVoter(voters, 3, "d3")).toBe(false);
});

test("majorities", () => {
  expect([1, 2, 3, 4, 5].map(majorityOf)).toEqual([1, 2, 2, 3, 3]);
});
