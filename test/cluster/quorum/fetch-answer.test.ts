import { describe, expect, test } from "bun:test";
import { answerFetch } from "../../../src/cluster/quorum/fetch-answer.ts";
import { MemoryQuorumLog } from "../../../src/cluster/quorum/memory-log.ts";

/** The leader's log: offsets 0..6 in epochs 1,1,1,3,3,4,4. */
function leaderLog(): MemoryQuorumLog {
  const log = new MemoryQuorumLog();
  log.append([1, 1, 1, 3, 3, 4, 4].map((epoch, offset) => ({ offset, epoch, kind: "data" as const, payload: new Uint8Array() })));
  return log;
}

describe("answerFetch", () => {
  test("a follower whose last epoch ends no earlier on the leader gets what follows", () => {
    const answer = answerFetch(leaderLog(), 5, 3, 10);
    expect(answer.kind).toBe("entries");
    expect(answer.kind === "entries" && answer.entries.map((e) => e.offset)).toEqual([5, 6]);
    expect(answerFetch(leaderLog(), 0, 0, 2)).toMatchObject({ kind: "entries", entries: [{ offset: 0 }, { offset: 1 }] });
    expect(answerFetch(leaderLog(), 7, 4, 10)).toEqual({ kind: "entries", entries: [] });
  });

  test("a follower with an epoch the leader never had is told where the leader's previous epoch ends", () => {
    // Follower: 1,1,1,2,2 -> fetches at 5 with last epoch 2; the leader has no epoch 2.
    expect(answerFetch(leaderLog(), 5, 2, 10)).toEqual({ kind: "diverging", epoch: 1, endOffset: 3 });
  });

  test("a follower past the end of its last epoch on the leader is told where that epoch ends", () => {
    // Follower: 1,1,1,3,3,3 (an epoch-3 entry the leader never committed) fetches at 6.
    expect(answerFetch(leaderLog(), 6, 3, 10)).toEqual({ kind: "diverging", epoch: 3, endOffset: 5 });
    // A follower beyond the leader's end in the leader's own epoch.
    expect(answerFetch(leaderLog(), 9, 4, 10)).toEqual({ kind: "diverging", epoch: 4, endOffset: 7 });
  });

  test("below the log start, or diverging below it, the follower is sent to the snapshot", () => {
    const log = leaderLog();
    const id = { endOffset: 4, epoch: 3 };
    log.createSnapshot(id, new Uint8Array([1]));
    log.trimPrefix(id);
    expect(answerFetch(log, 2, 1, 10)).toEqual({ kind: "snapshot", snapshotId: id });
    expect(answerFetch(log, 0, 0, 10)).toEqual({ kind: "snapshot", snapshotId: id });
    // Last epoch 2 would have to truncate to offset 3, below the start of 4.
    expect(answerFetch(log, 5, 2, 10)).toEqual({ kind: "snapshot", snapshotId: id });
    // Exactly at the start, with the snapshot's epoch: the logs match there.
    expect(answerFetch(log, 4, 3, 1)).toMatchObject({ kind: "entries", entries: [{ offset: 4 }] });
  });
});
