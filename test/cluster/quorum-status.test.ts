import { expect, test } from "bun:test";
import { quorumStatusView } from "../../src/cluster/quorum-status.ts";
import type { QuorumStatus } from "../../src/cluster/quorum/types.ts";

const base: QuorumStatus = {
  nodeId: 1,
  role: "leader",
  isVoter: true,
  epoch: 4,
  leaderId: 1,
  votedId: 1,
  highWatermark: 10,
  leaderHighWatermark: { value: 10, requestSentAt: Number.POSITIVE_INFINITY },
  logStartOffset: 0,
  logEndOffset: 12,
  replicas: [
    { id: 2, endOffset: 12, lastFetchMs: 1_000, voter: true },
    { id: 3, endOffset: 7, lastFetchMs: 400, voter: true },
    { id: 4, endOffset: 9, lastFetchMs: 900, voter: false },
  ],
};

test("on the leader: each voter's share of the committed log, its lag and when it last fetched", () => {
  expect(quorumStatusView(base, [1, 2, 3], 1, 1_100)).toEqual({
    voters: [1, 2, 3],
    leader: 1,
    epoch: 4,
    committed_offset: 10,
    role: "leader",
    voter_status: [
      { id: 1, committed_offset: 10, lag: 0, last_fetch_ms_ago: null },
      { id: 2, committed_offset: 10, lag: 0, last_fetch_ms_ago: 100 },
      { id: 3, committed_offset: 7, lag: 3, last_fetch_ms_ago: 700 },
    ],
  });
});

test("on a follower only its own offset is known", () => {
  const follower: QuorumStatus = { ...base, nodeId: 2, role: "follower", leaderId: 1, replicas: [] };
  expect(quorumStatusView(follower, [1, 2, 3], 2, 0).voter_status).toEqual([
    { id: 1, committed_offset: null, lag: null, last_fetch_ms_ago: null },
    { id: 2, committed_offset: 10, lag: null, last_fetch_ms_ago: null },
    { id: 3, committed_offset: null, lag: null, last_fetch_ms_ago: null },
  ]);
});

test("before the quorum has started: forming, nothing known", () => {
  expect(quorumStatusView(undefined, [], 1, 0)).toEqual({ voters: [], leader: null, epoch: 0, committed_offset: 0, role: "forming", voter_status: [] });
});
