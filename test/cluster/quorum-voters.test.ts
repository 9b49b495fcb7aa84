import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chooseVoters, defaultVoterCount, readVoters, VOTERS_FILE, writeVoters } from "../../src/cluster/quorum-voters.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("quorum voters", () => {
  test("3 voters, or 5 from 5 brokers on, never more than the brokers", () => {
    expect([1, 2, 3, 4, 5, 9].map(defaultVoterCount)).toEqual([1, 2, 3, 3, 5, 5]);
  });

  test("the lowest ids win, whatever order they were learned in; --controller-voters overrides the count", () => {
    expect(chooseVoters([7, 3, 5, 1, 9], undefined)).toEqual([1, 3, 5, 7, 9]);
    expect(chooseVoters([4, 2, 3, 1], undefined)).toEqual([1, 2, 3]);
    expect(chooseVoters([4, 2, 3, 1, 2], 1)).toEqual([1]);
    expect(chooseVoters([2, 1], 5)).toEqual([1, 2]);
  });

  test("the choice is kept on disk; a damaged file is refused, never replaced", () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-voters-"));
    dirs.push(dir);
    expect(readVoters(dir)).toBeNull();
    writeVoters(dir, [1, 2, 3]);
    expect(readVoters(dir)).toEqual([1, 2, 3]);
    writeFileSync(join(dir, VOTERS_FILE), '{"voters": []}');
    expect(() => readVoters(dir)).toThrow(/does not hold a list of voter ids/);
  });
});
