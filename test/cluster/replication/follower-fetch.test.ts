import { describe, expect, test } from "bun:test";
import { epochRunsFor, followerHighWatermark, nextFetch, truncationFor } from "../../../src/cluster/replication/follower-fetch.ts";
import { MemLog } from "../../sim/replication/mem-log.ts";

function log(runs: Array<[epoch: number, count: number]>): MemLog {
  const l = new MemLog();
  let n = 0;
  for (const [epoch, count] of runs) l.append(Array.from({ length: count }, () => `r${n++}`), epoch);
  return l;
}

describe("follower fetch", () => {
  test("a fetch carries the log end, the last epoch and the known leader epoch", () => {
    expect(nextFetch(2, 7, log([[1, 3], [4, 2]]))).toEqual({ replica: 2, fetchOffset: 5, lastFetchedEpoch: 4, leaderEpoch: 7 });
    expect(nextFetch(2, 0, new MemLog())).toEqual({ replica: 2, fetchOffset: 0, lastFetchedEpoch: null, leaderEpoch: 0 });
  });

  test("KIP-279: truncate to the smaller of the two ends of the diverging epoch", () => {
    // Follower wrote 2 records in epoch 1 past where the leader's epoch 1 ends (offset 4).
    expect(truncationFor(log([[0, 2], [1, 4]]), { epoch: 1, endOffset: 4 })).toEqual({ kind: "truncate", offset: 4 });
    // The follower never saw epoch 2: its epoch 1 ends at its log end, 6; the leader's epoch 1 (as its floor) ends at 5.
    expect(truncationFor(log([[0, 2], [1, 4]]), { epoch: 1, endOffset: 5 })).toEqual({ kind: "truncate", offset: 5 });
    // The follower's own epoch 0 ends earlier than the leader's: cut there, the next fetch narrows further.
    expect(truncationFor(log([[0, 2], [3, 4]]), { epoch: 1, endOffset: 5 })).toEqual({ kind: "truncate", offset: 2 });
  });

  test("a cut at the log end still drops an epoch begun there with no record", () => {
    const l = log([[0, 3]]);
    l.assignEpoch(5);
    const cut = truncationFor(l, { epoch: 0, endOffset: 3 });
    expect(cut).toEqual({ kind: "truncate", offset: 3 });
    l.truncateTo(3);
    expect(l.latestEpoch).toBe(0);
  });

  test("epoch runs split a fetched range where the leader's epochs change", () => {
    const entries = [
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 5 },
      { epoch: 3, startOffset: 9 },
    ];
    expect(epochRunsFor(entries, 3, 8)).toEqual([
      { epoch: 0, startOffset: 3 },
      { epoch: 2, startOffset: 5 },
      { epoch: 3, startOffset: 9 },
    ]);
    expect(epochRunsFor(entries, 6, 2)).toEqual([{ epoch: 2, startOffset: 6 }]);
    expect(epochRunsFor(entries, 6, 0)).toEqual([]);
  });

  test("a follower's high watermark is the leader's, capped at its own log end", () => {
    expect(followerHighWatermark(10, log([[0, 7]]))).toBe(7);
    expect(followerHighWatermark(4, log([[0, 7]]))).toBe(4);
  });
});
