import { describe, expect, test } from "bun:test";
import type { VoteRequest } from "../../../src/cluster/quorum/messages.ts";
import { drain, LEGACY_VOTERS, leaderOfEpoch1, logWith, makeCore, ofType, TIMING } from "./core-fixture.ts";

const voteRequest = (from: number, to: number, over: Partial<VoteRequest> = {}): VoteRequest => ({
  type: "vote-request", from, to, correlationId: 1, epoch: 1, candidateDirectoryId: `d${from}`, voterDirectoryId: `d${to}`,
  lastEpoch: 0, lastOffset: 0, preVote: false, ...over,
});

describe("votes (Raft §5.2, §5.4.1; KIP-595)", () => {
  test("one vote per epoch: the first candidate gets it (persisted with the answer), another is refused, the same one again is granted", () => {
    const { core } = makeCore(3);
    core.step(voteRequest(1, 3), 5);
    let ready = drain(core, 5);
    expect(ready.persistState).toEqual({ epoch: 1, leaderId: null, votedId: 1, votedDirectoryId: "d1" });
    expect(ofType(ready.messages, "vote-response").map((m) => [m.to, m.epoch, m.granted])).toEqual([[1, 1, true]]);
    core.step(voteRequest(2, 3), 6);
    ready = drain(core, 6);
    expect(ready.persistState).toBeNull();
    expect(ofType(ready.messages, "vote-response").map((m) => [m.to, m.granted])).toEqual([[2, false]]);
    core.step(voteRequest(1, 3, { correlationId: 2 }), 7);
    expect(ofType(drain(core, 7).messages, "vote-response").map((m) => m.granted)).toEqual([true]);
  });

  test("a candidate whose log is behind is refused, though its epoch is adopted", () => {
    const { core } = makeCore(3, { log: logWith([1, 1, 2]) });
    core.step(voteRequest(1, 3, { epoch: 5, lastEpoch: 1, lastOffset: 9 }), 1);
    let ready = drain(core, 1);
    expect(ready.persistState).toEqual({ epoch: 5, leaderId: null, votedId: null, votedDirectoryId: null });
    expect(ofType(ready.messages, "vote-response")[0]!.granted).toBe(false);
    core.step(voteRequest(2, 3, { epoch: 5, lastEpoch: 2, lastOffset: 2 }), 2);
    ready = drain(core, 2);
    expect(ofType(ready.messages, "vote-response")[0]!.granted).toBe(false);
    core.step(voteRequest(2, 3, { epoch: 5, lastEpoch: 2, lastOffset: 3 }), 3);
    ready = drain(core, 3);
    expect(ofType(ready.messages, "vote-response")[0]!.granted).toBe(true);
    expect(ready.persistState?.votedId).toBe(2);
  });

  test("a stale epoch, an observer, or a voter id on another disk gets no vote (KIP-853)", () => {
    const { core } = makeCore(3, { state: { epoch: 4, leaderId: null, votedId: null, votedDirectoryId: null } });
    core.step(voteRequest(1, 3, { epoch: 3 }), 1);
    core.step(voteRequest(9, 3, { epoch: 5, candidateDirectoryId: "d9" }), 1);
    core.step(voteRequest(1, 3, { epoch: 5, candidateDirectoryId: "wiped" }), 1);
    core.step(voteRequest(1, 3, { epoch: 5, voterDirectoryId: "someone-else" }), 1);
    const ready = drain(core, 1);
    expect(ready.persistState).toBeNull();
    expect(ofType(ready.messages, "vote-response").map((m) => [m.granted, m.epoch])).toEqual([[false, 4], [false, 4], [false, 4], [false, 4]]);
  });

  test("voters recorded without directory ids: its own is adopted at start, a candidate's from its first Vote or PreVote, each persisted before the answer leaves", () => {
    const { core } = makeCore(3, { voters: LEGACY_VOTERS });
    let ready = drain(core, 0);
    expect(ready.persistVoters).toEqual([{ id: 1, directoryId: null }, { id: 2, directoryId: null }, { id: 3, directoryId: "d3" }]);
    core.step(voteRequest(2, 3, { preVote: true, voterDirectoryId: null }), 1);
    ready = drain(core, 1);
    expect(ready.persistVoters?.map((v) => v.directoryId)).toEqual([null, "d2", "d3"]);
    expect(ofType(ready.messages, "vote-response").map((m) => [m.preVote, m.granted])).toEqual([[true, true]]);
    core.step(voteRequest(1, 3, { voterDirectoryId: null }), 2);
    ready = drain(core, 2);
    expect(ready.persistVoters?.map((v) => v.directoryId)).toEqual(["d1", "d2", "d3"]);
    expect(ofType(ready.messages, "vote-response").map((m) => m.granted)).toEqual([true]);
    expect(core.status().voters).toEqual([1, 2, 3].map((id) => ({ id, directoryId: `d${id}` })));
    // Adopted ids are never replaced: voter 2's id from another disk (wiped) gets no vote.
    core.step(voteRequest(2, 3, { epoch: 2, candidateDirectoryId: "d2-wiped", voterDirectoryId: null }), 3);
    ready = drain(core, 3);
    expect([ready.persistVoters, ready.persistState]).toEqual([null, null]);
    expect(ofType(ready.messages, "vote-response").map((m) => m.granted)).toEqual([false]);
  });

  test("a voter whose own recorded directory id is another disk's is wiped: it neither stands nor votes", () => {
    const { core } = makeCore(3, { config: { directoryId: "d3-new" } });
    expect([core.status().isVoter, core.status().directoryId]).toEqual([false, "d3-new"]);
    core.tick(10_000);
    expect(core.currentRole).toBe("unattached");
    expect(ofType(core.ready().messages, "vote-request")).toEqual([]);
    core.step(voteRequest(1, 3, { voterDirectoryId: null }), 10_001);
    expect(ofType(core.ready().messages, "vote-response").map((m) => m.granted)).toEqual([false]);
  });

  test("a grant from a voter's id on another disk is not counted; a refusal still names the epoch", () => {
    const { core } = makeCore(1);
    const now = core.nextDeadline();
    core.tick(now);
    const pre = ofType(drain(core, now).messages, "vote-request");
    const grant = (from: number, voterDirectoryId: string) =>
      core.step({ type: "vote-response", from, to: 1, correlationId: pre.find((m) => m.to === from)!.correlationId, epoch: 0, leaderId: null, granted: true, preVote: true, voterDirectoryId }, now);
    grant(2, "d2-wiped");
    expect(core.currentRole).toBe("prospective");
    grant(3, "d3");
    expect(core.currentRole).toBe("candidate");
  });

  test("an observer neither stands nor votes", () => {
    const { core } = makeCore(7);
    expect(core.status().isVoter).toBe(false);
    core.tick(10_000);
    expect(core.currentRole).toBe("unattached");
    core.step(voteRequest(1, 7, { voterDirectoryId: null }), 10_001);
    expect(ofType(core.ready().messages, "vote-response")[0]!.granted).toBe(false);
  });

  test("a leader steps down for a real vote in a later epoch", () => {
    const { core, now } = leaderOfEpoch1();
    core.step(voteRequest(2, 1, { epoch: 2, lastEpoch: 1, lastOffset: 1 }), now + 1);
    expect(core.status()).toMatchObject({ role: "unattached", epoch: 2, votedId: 2 });
  });
});

describe("pre-vote (KIP-996)", () => {
  test("refused while the voter hears from its leader, granted after the fetch timeout, and never persisted", () => {
    const { core } = makeCore(3, { state: { epoch: 1, leaderId: 1, votedId: null, votedDirectoryId: null } });
    const fetch = ofType(core.ready().messages, "fetch-request")[0]!;
    core.step({ type: "fetch-response", from: 1, to: 3, correlationId: fetch.correlationId, error: "NONE", epoch: 1, leaderId: 1, highWatermark: 0, entries: [], divergingEpoch: null, snapshotId: null }, 10);
    drain(core, 10);
    core.step(voteRequest(2, 3, { epoch: 2, preVote: true }), 20);
    let answer = ofType(drain(core, 20).messages, "vote-response")[0]!;
    expect([answer.granted, answer.leaderId]).toEqual([false, 1]);
    core.tick(10 + TIMING.fetchTimeoutMs);
    expect(core.currentRole).toBe("prospective");
    drain(core, 10 + TIMING.fetchTimeoutMs);
    core.step(voteRequest(2, 3, { epoch: 2, preVote: true, correlationId: 2 }), 11 + TIMING.fetchTimeoutMs);
    const ready = drain(core, 11 + TIMING.fetchTimeoutMs);
    answer = ofType(ready.messages, "vote-response")[0]!;
    expect([answer.granted, answer.leaderId, answer.epoch]).toEqual([true, null, 1]);
    expect(ready.persistState).toBeNull();
    expect(core.status()).toMatchObject({ epoch: 1, votedId: null });
  });

  test("a prospective that is refused and told of a later epoch moves to it", () => {
    const { core } = makeCore(1);
    const now = core.nextDeadline();
    core.tick(now);
    const pre = ofType(drain(core, now).messages, "vote-request")[0]!;
    core.step({ type: "vote-response", from: 2, to: 1, correlationId: pre.correlationId, epoch: 6, leaderId: 3, granted: false, preVote: true, voterDirectoryId: "d2" }, now + 1);
    expect(core.status()).toMatchObject({ role: "follower", epoch: 6, leaderId: 3 });
    expect(drain(core, now + 1).persistState).toEqual({ epoch: 6, leaderId: 3, votedId: null, votedDirectoryId: null });
  });
});

describe("check-quorum and resignation", () => {
  test("a leader no majority fetches from resigns at the fetch timeout, tells the voters, and refuses proposals", () => {
    const { core, now } = leaderOfEpoch1();
    core.step({ type: "fetch-request", from: 2, to: 1, correlationId: 3, epoch: 1, replicaDirectoryId: "d2", fetchOffset: 1, lastFetchedEpoch: 1 }, now + 50);
    drain(core, now + 50);
    // Voter 2 fetched at now + 50: the quorum holds until then plus the fetch timeout.
    core.tick(now + 49 + TIMING.fetchTimeoutMs);
    expect(core.currentRole).toBe("leader");
    core.tick(now + 50 + TIMING.fetchTimeoutMs);
    expect(core.currentRole).toBe("resigned");
    const ends = ofType(drain(core, now + 50 + TIMING.fetchTimeoutMs).messages, "end-epoch-request");
    expect(ends.map((m) => [m.to, m.epoch, m.preferredSuccessors])).toEqual([[2, 1, [2, 3]], [3, 1, [2, 3]]]);
    expect(() => core.propose(new Uint8Array([1]), now + 300)).toThrow(/not the quorum leader/);
  });

  test("a leader shutting down resigns at once and names its successors; elsewhere it is a no-op", () => {
    const { core, now } = leaderOfEpoch1();
    core.step({ type: "fetch-request", from: 3, to: 1, correlationId: 3, epoch: 1, replicaDirectoryId: "d3", fetchOffset: 1, lastFetchedEpoch: 1 }, now);
    drain(core, now);
    core.resignLeadership(now + 1);
    expect(core.currentRole).toBe("resigned");
    const ends = ofType(drain(core, now + 1).messages, "end-epoch-request");
    expect(ends.map((m) => [m.to, m.preferredSuccessors])).toEqual([[2, [3, 2]], [3, [3, 2]]]);
    const { core: follower } = makeCore(2, { state: { epoch: 1, leaderId: 1, votedId: null, votedDirectoryId: null } });
    follower.resignLeadership(0);
    expect(follower.currentRole).toBe("follower");
  });

  test("EndQuorumEpoch makes the first preferred successor stand within a back-off, not an election timeout", () => {
    const { core } = makeCore(2, { state: { epoch: 1, leaderId: 1, votedId: null, votedDirectoryId: null } });
    drain(core, 0);
    core.step({ type: "end-epoch-request", from: 1, to: 2, correlationId: 1, epoch: 1, leaderId: 1, preferredSuccessors: [2, 3] }, 5);
    expect(core.currentRole).toBe("unattached");
    expect(core.nextDeadline()).toBeLessThan(5 + 2 * TIMING.retryBackoffMs);
    core.tick(core.nextDeadline());
    expect(core.currentRole).toBe("prospective");
  });

  test("BeginQuorumEpoch makes a voter follow the new leader, and the leader stops announcing to it", () => {
    const { core } = makeCore(3);
    core.step({ type: "begin-epoch-request", from: 1, to: 3, correlationId: 4, epoch: 2, leaderId: 1 }, 3);
    const ready = drain(core, 3);
    expect(ready.persistState).toEqual({ epoch: 2, leaderId: 1, votedId: null, votedDirectoryId: null });
    expect(ofType(ready.messages, "begin-epoch-response").map((m) => [m.epoch, m.leaderId])).toEqual([[2, 1]]);
    expect(ofType(ready.messages, "fetch-request").map((m) => [m.to, m.epoch])).toEqual([[1, 2]]);
  });
});
