import { describe, expect, test } from "bun:test";
import type { FetchRequest, FetchResponse } from "../../../src/cluster/quorum/messages.ts";
import { drain, entries, LEGACY_VOTERS, leaderOfEpoch1, logWith, makeCore, ofType, TIMING } from "./core-fixture.ts";

const fetch = (fetchOffset: number, lastFetchedEpoch: number, over: Partial<FetchRequest> = {}): FetchRequest => ({
  type: "fetch-request", from: 2, to: 1, correlationId: 11, epoch: 1, replicaDirectoryId: "d2", fetchOffset, lastFetchedEpoch, ...over,
});

const response = (correlationId: number, over: Partial<FetchResponse>): FetchResponse => ({
  type: "fetch-response", from: 1, to: 3, correlationId, error: "NONE", epoch: 2, leaderId: 1, highWatermark: 0,
  entries: [], divergingEpoch: null, snapshotId: null, ...over,
});

describe("the leader's side of Fetch (KIP-595)", () => {
  test("answers with what follows, or holds the fetch as a long poll until news or the wait runs out", () => {
    const { core, now } = leaderOfEpoch1();
    core.step(fetch(0, 0), now);
    let answer = ofType(drain(core, now).messages, "fetch-response")[0]!;
    expect(answer.entries.map((e) => [e.offset, e.kind])).toEqual([[0, "leader-change"]]);
    // Caught up, knowing the high watermark (1, since this fetch): held.
    core.step(fetch(1, 1, { correlationId: 12 }), now + 1);
    answer = ofType(drain(core, now + 1).messages, "fetch-response")[0]!;
    expect(answer.highWatermark).toBe(1);
    core.step(fetch(1, 1, { correlationId: 13 }), now + 2);
    expect(ofType(drain(core, now + 2).messages, "fetch-response")).toEqual([]);
    core.propose(new Uint8Array([7]), now + 3);
    answer = ofType(drain(core, now + 3).messages, "fetch-response")[0]!;
    expect([answer.correlationId, answer.entries.map((e) => e.offset)]).toEqual([13, [1]]);
    // Held again, and answered empty when the long poll expires.
    core.step(fetch(2, 1, { correlationId: 14 }), now + 4);
    drain(core, now + 4);
    core.step(fetch(2, 1, { correlationId: 15 }), now + 5);
    expect(ofType(drain(core, now + 5).messages, "fetch-response")).toEqual([]);
    core.tick(now + 5 + TIMING.fetchMaxWaitMs);
    answer = ofType(drain(core, now + 5 + TIMING.fetchMaxWaitMs).messages, "fetch-response")[0]!;
    expect([answer.correlationId, answer.entries.length]).toEqual([15, 0]);
  });

  test("fences a stale epoch and names itself; refuses a later epoch it does not know", () => {
    const { core, now } = leaderOfEpoch1();
    core.step(fetch(0, 0, { epoch: 0 }), now);
    core.step(fetch(0, 0, { epoch: 2 }), now);
    const answers = ofType(drain(core, now).messages, "fetch-response");
    expect(answers.map((m) => [m.error, m.epoch, m.leaderId])).toEqual([["FENCED_LEADER_EPOCH", 1, 1], ["UNKNOWN_LEADER_EPOCH", 1, 1]]);
  });

  test("a voter id fetching from another disk counts for nothing (KIP-853)", () => {
    const { core, now } = leaderOfEpoch1();
    core.step(fetch(1, 1, { replicaDirectoryId: "wiped" }), now);
    expect(core.committedOffset).toBe(0);
    core.step(fetch(1, 1, { correlationId: 12 }), now);
    expect(core.committedOffset).toBe(1);
  });

  test("a voter id from another disk is served as an observer: it gets the log, its fetches are held apart from the voter's", () => {
    const { core, now } = leaderOfEpoch1();
    core.step(fetch(0, 0, { from: 3, replicaDirectoryId: "d3-wiped" }), now);
    const answer = ofType(drain(core, now).messages, "fetch-response")[0]!;
    expect([answer.to, answer.error, answer.entries.map((e) => e.offset)]).toEqual([3, "NONE", [0]]);
    core.step(fetch(1, 1, { from: 3, replicaDirectoryId: "d3-wiped", correlationId: 12 }), now + 1);
    expect(core.committedOffset).toBe(0);
    expect(core.status().replicas.map((r) => [r.id, r.voter, r.directoryId, r.endOffset])).toEqual([
      [2, true, null, -1], [3, true, null, -1], [3, false, "d3-wiped", 1],
    ]);
    // The real voter 2 commits it; a check-quorum lapse still follows, as only 1 of 2 voters fetches.
    core.step(fetch(1, 1, { correlationId: 13 }), now + 2);
    expect(core.committedOffset).toBe(1);
  });

  test("a leader with voters recorded without directory ids adopts each from its first fetch, then holds other disks apart", () => {
    // It learned its own at start and voter 2's from 2's vote; voter 3 it has not heard yet.
    const { core, now } = leaderOfEpoch1(undefined, LEGACY_VOTERS);
    expect(core.status().voters.map((v) => v.directoryId)).toEqual(["d1", "d2", null]);
    core.step(fetch(1, 1, { from: 3, replicaDirectoryId: "d3" }), now);
    const ready = drain(core, now);
    expect(ready.persistVoters?.map((v) => v.directoryId)).toEqual(["d1", "d2", "d3"]);
    expect(core.committedOffset).toBe(1);
    core.propose(new Uint8Array([1]), now + 1);
    drain(core, now + 1);
    core.step(fetch(2, 1, { from: 3, replicaDirectoryId: "d3-wiped", correlationId: 20 }), now + 2);
    expect(core.committedOffset).toBe(1);
    expect(drain(core, now + 2).persistVoters).toBeNull();
  });

  test("a non-leader answers NOT_LEADER, naming a leader only if it heard from it recently", () => {
    const { core } = makeCore(2, { state: { epoch: 1, leaderId: 1, votedId: null, votedDirectoryId: null } });
    drain(core, 0);
    core.step(fetch(0, 0, { from: 5, to: 2 }), 1);
    expect(ofType(drain(core, 1).messages, "fetch-response").map((m) => [m.error, m.leaderId])).toEqual([["NOT_LEADER", null]]);
  });
});

describe("the follower's side of Fetch", () => {
  function follower(log = logWith([1, 1, 2, 2])) {
    const { core } = makeCore(3, { log, state: { epoch: 2, leaderId: 1, votedId: null, votedDirectoryId: null } });
    const request = ofType(drain(core, 0).messages, "fetch-request")[0]!;
    return { core, log, request };
  }

  test("appends, learns the high watermark (never past its own log), and fetches again", () => {
    const { core, log, request } = follower();
    expect([request.fetchOffset, request.lastFetchedEpoch]).toEqual([4, 2]);
    core.step(response(request.correlationId, { entries: entries([2, 2], 4), highWatermark: 9 }), 1);
    expect(log.endOffset()).toBe(6);
    expect(core.committedOffset).toBe(6);
    const ready = drain(core, 1);
    expect(ready.flushLog).toBe(true);
    expect(ready.committed.map((e) => e.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(ofType(ready.messages, "fetch-request").map((m) => [m.fetchOffset, m.lastFetchedEpoch])).toEqual([[6, 2]]);
  });

  test("ignores a late or duplicated answer", () => {
    const { core, log, request } = follower();
    core.step(response(request.correlationId + 100, { entries: entries([2], 4), highWatermark: 5 }), 1);
    expect([log.endOffset(), core.committedOffset]).toEqual([4, 0]);
  });

  test("truncates to where its log and the leader's agree on the diverging epoch, then fetches from there", () => {
    // Follower 1,1,2,2 ; the leader never had epoch 2 and says epoch 1 ends at 3.
    const { core, log, request } = follower();
    core.step(response(request.correlationId, { divergingEpoch: { epoch: 1, endOffset: 3 } }), 1);
    expect(log.endOffset()).toBe(2);
    const next = ofType(drain(core, 1).messages, "fetch-request")[0]!;
    expect([next.fetchOffset, next.lastFetchedEpoch]).toEqual([2, 1]);
  });

  test("fetches a snapshot in chunks when below the leader's log start, installs it and hands it to the driver", () => {
    const { core, log, request } = follower();
    const snapshotId = { endOffset: 10, epoch: 2 };
    core.step(response(request.correlationId, { snapshotId }), 1);
    const state = new Uint8Array([1, 2, 3, 4, 5, 6]);
    let position = 0;
    let now = 1;
    for (;;) {
      const ask = ofType(drain(core, now).messages, "fetch-snapshot-request")[0]!;
      expect([ask.position, ask.snapshotId]).toEqual([position, snapshotId]);
      const chunk = state.subarray(position, position + TIMING.snapshotChunkBytes);
      core.step({ type: "fetch-snapshot-response", from: 1, to: 3, correlationId: ask.correlationId, error: "NONE", epoch: 2, leaderId: 1, snapshotId, position, size: state.length, bytes: chunk }, ++now);
      position += chunk.length;
      if (position === state.length) break;
    }
    expect([log.startOffset(), log.endOffset(), log.lastEpoch()]).toEqual([10, 10, 2]);
    expect(log.readSnapshot(snapshotId)).toEqual(state);
    expect(core.committedOffset).toBe(10);
    const ready = drain(core, now);
    expect(ready.applySnapshot).toEqual(snapshotId);
    expect(ready.flushLog).toBe(true);
    expect(ofType(ready.messages, "fetch-request").map((m) => [m.fetchOffset, m.lastFetchedEpoch])).toEqual([[10, 2]]);
  });

  test("without an answer it asks again after the leader's longest hold plus the request timeout, and stands after the fetch timeout", () => {
    const { core } = follower();
    const retry = TIMING.fetchMaxWaitMs + TIMING.requestTimeoutMs;
    expect(core.nextDeadline()).toBe(retry);
    // An answer held by the leader for its whole long poll is still awaited.
    core.tick(retry - 1);
    expect(ofType(drain(core, retry - 1).messages, "fetch-request")).toEqual([]);
    core.tick(retry);
    expect(ofType(drain(core, retry).messages, "fetch-request").length).toBe(1);
    core.tick(TIMING.fetchTimeoutMs);
    expect(core.currentRole).toBe("prospective");
  });
});
