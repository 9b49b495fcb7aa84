import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QUORUM_STATE_FILE, QuorumStateFile, readQuorumState } from "../../../src/cluster/quorum/quorum-state-file.ts";
import { INITIAL_ELECTION_STATE } from "../../../src/cluster/quorum/types.ts";
import { StreamNestError } from "../../../src/lib/errors.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "streamnest-quorum-state-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("QuorumStateFile", () => {
  test("a new directory gets a directory id and the initial state, on disk before anything else", () => {
    const { file, state } = QuorumStateFile.open(join(dir, "meta"), () => "dir-abc");
    expect(state).toEqual(INITIAL_ELECTION_STATE);
    expect(file.directoryId).toBe("dir-abc");
    expect(JSON.parse(readFileSync(join(dir, "meta", QUORUM_STATE_FILE), "utf8"))).toEqual({
      version: 1, directoryId: "dir-abc", epoch: 0, leaderId: null, votedId: null, votedDirectoryId: null,
    });
  });

  test("a written vote is what the next open reads, with the same directory id, and no temporary file is left", () => {
    const { file } = QuorumStateFile.open(dir, () => "dir-1");
    file.write({ epoch: 4, leaderId: null, votedId: 2, votedDirectoryId: "dir-2" });
    file.write({ epoch: 5, leaderId: 3, votedId: null, votedDirectoryId: null });
    const reopened = QuorumStateFile.open(dir, () => "never-used");
    expect(reopened.file.directoryId).toBe("dir-1");
    expect(reopened.state).toEqual({ epoch: 5, leaderId: 3, votedId: null, votedDirectoryId: null });
    expect(readdirSync(dir)).toEqual([QUORUM_STATE_FILE]);
  });

  test("a leftover temporary file from a crash mid-write does not replace the state", () => {
    const { file } = QuorumStateFile.open(dir, () => "dir-1");
    file.write({ epoch: 2, leaderId: null, votedId: 1, votedDirectoryId: "dir-1" });
    writeFileSync(join(dir, `${QUORUM_STATE_FILE}.tmp`), '{"version":1,"direc');
    expect(QuorumStateFile.open(dir, () => "x").state.votedId).toBe(1);
  });

  test("a corrupt or invalid file is refused, never read as an empty state", () => {
    const path = join(dir, QUORUM_STATE_FILE);
    writeFileSync(path, "{not json");
    expect(() => readQuorumState(path)).toThrow(StreamNestError);
    expect(() => QuorumStateFile.open(dir, () => "x")).toThrow(/not valid JSON/);
    writeFileSync(path, JSON.stringify({ version: 1, directoryId: "d", epoch: -1, leaderId: null, votedId: null, votedDirectoryId: null }));
    expect(() => readQuorumState(path)).toThrow(/does not hold a valid quorum state/);
    writeFileSync(path, JSON.stringify({ version: 2, directoryId: "d", epoch: 1, leaderId: null, votedId: null, votedDirectoryId: null }));
    expect(() => readQuorumState(path)).toThrow(/does not hold a valid quorum state/);
    try {
      readQuorumState(path);
    } catch (error) {
      expect((error as StreamNestError).code).toBe("CORRUPT_RECORD");
    }
  });

  test("a directory that cannot be written is a STORAGE_ERROR", () => {
    const { file } = QuorumStateFile.open(dir, () => "dir-1");
    rmSync(dir, { recursive: true, force: true });
    expect(existsSync(dir)).toBe(false);
    let caught: unknown;
    try {
      file.write({ epoch: 1, leaderId: null, votedId: null, votedDirectoryId: null });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StreamNestError);
    expect((caught as StreamNestError).code).toBe("STORAGE_ERROR");
  });
});
