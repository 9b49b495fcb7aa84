import { expect, test } from "bun:test";
import { quorumStatusView } from "../../src/cluster/quorum-status.ts";
import type { QuorumStatus, VoterKey } from "../../src/cluster/quorum/types.ts";

const voters: VoterKey[] = [1, 2, 3].map((id) => ({ id, directoryId: `d${id}` }));

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
  directoryId: "d1",
  voters,
  replicas: [
    { id: 2, endOffset: 12, lastFetchMs: 1_000, voter: true, directoryId: "d2" },
    { id: 3, endOffset: 7, lastFetchMs: 400, voter: true, directoryId: "d3" },
    // Voter 3's id from a wiped disk: not voter 3, whatever it fetched.
    { id: 3, endOffset: 12, lastFetchMs: 1_050, voter: false, directoryId: "d3-new" },
    { id: 4, endOffset: 9, lastFetchMs: 900, voter: false, directoryId: "d4" },
  ],
};

test("on the leader: each voter's directory id, share of the committed log, lag and last fetch", () => {
  expect(quorumStatusView(base, voters, 1, 1_100)).toEqual({
    voters: [1, 2, 3],
    leader: 1,
    epoch: 4,
    committed_offset: 10,
    role: "leader",
    directory_id: "d1",
    wiped: false,
    voter_status: [
      { id: 1, directory_id: "d1", committed_offset: 10, lag: 0, last_fetch_ms_ago: null },
      { id: 2, directory_id: "d2", committed_offset: 10, lag: 0, last_fetch_ms_ago: 100 },
      { id: 3, directory_id: "d3", committed_offset: 7, lag: 3, last_fetch_ms_ago: 700 },
    ],
  });
});

test("on a follower only its own offset is known", () => {
  const follower: QuorumStatus = { ...base, nodeId: 2, directoryId: "d2", role: "follower", leaderId: 1, replicas: [] };
  expect(quorumStatusView(follower, voters, 2, 0).voter_status).toEqual([
    { id: 1, directory_id: "d1", committed_offset: null, lag: null, last_fetch_ms_ago: null },
    { id: 2, directory_id: "d2", committed_offset: 10, lag: null, last_fetch_ms_ago: null },
    { id: 3, directory_id: "d3", committed_offset: null, lag: null, last_fetch_ms_ago: null },
  ]);
});

test("a voter's id on a wiped disk says so and claims no voter's offset; the core's adopted ids win over the file's", () => {
  const wiped: QuorumStatus = { ...base, nodeId: 3, directoryId: "d3-new", isVoter: false, role: "follower", leaderId: 1, replicas: [] };
  const view = quorumStatusView(wiped, [{ id: 1, directoryId: null }, ...voters.slice(1)], 3, 0);
  expect([view.directory_id, view.wiped, view.voter_status[2]]).toEqual([
    "d3-new", true, { id: 3, directory_id: "d3", committed_offset: null, lag: null, last_fetch_ms_ago: null },
  ]);
  expect(view.voter_status[0]!.directory_id).toBe("d1");
});

test("before the quorum has started: forming, nothing known", () => {
  expect(quorumStatusView(undefined, [], 1, 0)).toEqual({
    voters: [], leader: null, epoch: 0, committed_offset: 0, role: "forming", directory_id: null, wiped: false, voter_status: [],
  });
});
