import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chooseVoters, defaultVoterCount, readVoters, voterKeysFrom, voterRecord, VOTERS_FILE, writeVoters } from "../../src/cluster/quorum-voters.ts";

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

  test("the choice is kept on disk with each voter's directory id; a damaged file is refused, never replaced", () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-voters-"));
    dirs.push(dir);
    expect(readVoters(dir)).toBeNull();
    writeVoters(dir, [{ id: 1, directoryId: "d1" }, { id: 2, directoryId: "d2" }, { id: 3, directoryId: null }]);
    expect(readVoters(dir)).toEqual([{ id: 1, directoryId: "d1" }, { id: 2, directoryId: "d2" }, { id: 3, directoryId: null }]);
    // The ids stay a plain list, which the release before directory ids reads.
    expect(JSON.parse(readFileSync(join(dir, VOTERS_FILE), "utf8"))).toEqual({ voters: [1, 2, 3], directoryIds: { "1": "d1", "2": "d2" } });
    writeFileSync(join(dir, VOTERS_FILE), '{"voters": []}');
    expect(() => readVoters(dir)).toThrow(/does not hold a list of voter ids/);
    writeFileSync(join(dir, VOTERS_FILE), '{"voters": [1], "directoryIds": {"1": 7}}');
    expect(() => readVoters(dir)).toThrow(/does not hold a list of voter ids/);
  });

  test("a file written before directory ids is read with none known (each adopts one on first contact)", () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-voters-"));
    dirs.push(dir);
    writeFileSync(join(dir, VOTERS_FILE), '{"voters":[1,2,3]}\n');
    expect(readVoters(dir)).toEqual([1, 2, 3].map((id) => ({ id, directoryId: null })));
  });

  test("the wire form of GET /internal/quorum/voters reads back the same", () => {
    const voters = [{ id: 4, directoryId: "x" }, { id: 9, directoryId: null }];
    expect(voterKeysFrom(voterRecord(voters))).toEqual(voters);
    expect(voterKeysFrom({ voters: null, directoryIds: {} })).toBeNull();
    expect(voterKeysFrom({ voters: [1], directoryIds: [] })).toBeNull();
  });
});
