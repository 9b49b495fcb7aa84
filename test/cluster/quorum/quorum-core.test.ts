import { describe, expect, test } from "bun:test";
import { StreamNestError } from "../../../src/lib/errors.ts";
import { drain, LEGACY_VOTERS, leaderOfEpoch1, logWith, makeCore, ofType, TIMING } from "./core-fixture.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("QuorumCore: the driver contract", () => {
  test("a new voter waits one randomised election timeout, then asks for pre-votes without changing its state", () => {
    const { core } = makeCore(1);
    expect(core.hasReady()).toBe(false);
    const deadline = core.nextDeadline();
    expect(deadline).toBeGreaterThanOrEqual(TIMING.electionTimeoutMs);
    expect(deadline).toBeLessThan(2 * TIMING.electionTimeoutMs);
    core.tick(deadline - 1);
    expect(core.hasReady()).toBe(false);
    core.tick(deadline);
    const ready = drain(core, deadline);
    expect(ready.persistState).toBeNull();
    expect(ofType(ready.messages, "vote-request").map((m) => [m.to, m.epoch, m.preVote])).toEqual([[2, 1, true], [3, 1, true]]);
    expect(core.status()).toMatchObject({ role: "prospective", epoch: 0, votedId: null });
  });

  test("standing for election persists the new epoch and its own vote in the same Ready as the vote requests", () => {
    const { core } = makeCore(1);
    const now = core.nextDeadline();
    core.tick(now);
    const preVote = ofType(drain(core, now).messages, "vote-request")[0]!;
    core.step({ type: "vote-response", from: 3, to: 1, correlationId: preVote.correlationId, epoch: 0, leaderId: null, granted: true, preVote: true, voterDirectoryId: "d3" }, now);
    const ready = drain(core, now);
    expect(ready.persistState).toEqual({ epoch: 1, leaderId: null, votedId: 1, votedDirectoryId: "d1" });
    expect(ofType(ready.messages, "vote-request").map((m) => [m.to, m.epoch, m.preVote, m.voterDirectoryId])).toEqual([
      [2, 1, false, "d2"],
      [3, 1, false, "d3"],
    ]);
  });

  test("a new leader appends its leader-change entry, announces the epoch, and commits once a majority fetched it", () => {
    const { core, log } = makeCore(1);
    let now = core.nextDeadline();
    core.tick(now);
    const pre = ofType(drain(core, now).messages, "vote-request")[0]!;
    core.step({ type: "vote-response", from: 2, to: 1, correlationId: pre.correlationId, epoch: 0, leaderId: null, granted: true, preVote: true, voterDirectoryId: "d2" }, now);
    const vote = ofType(drain(core, now).messages, "vote-request")[0]!;
    core.step({ type: "vote-response", from: 2, to: 1, correlationId: vote.correlationId, epoch: 1, leaderId: null, granted: true, preVote: false, voterDirectoryId: "d2" }, now);
    const ready = core.ready();
    expect(ready.persistState).toEqual({ epoch: 1, leaderId: 1, votedId: 1, votedDirectoryId: "d1" });
    expect(ready.flushLog).toBe(true);
    expect(log.read(0, 5).map((e) => [e.offset, e.epoch, e.kind])).toEqual([[0, 1, "leader-change"]]);
    expect(ofType(ready.messages, "begin-epoch-request").map((m) => m.to)).toEqual([2, 3]);
    core.advance(ready, now);
    expect(core.propose(bytes("a"), now)).toEqual({ offset: 1, epoch: 1 });
    // A follower holds both entries, but the leader has flushed only the first: the
    // majority (leader and follower) holds offset 0 alone.
    core.step({ type: "fetch-request", from: 2, to: 1, correlationId: 9, epoch: 1, replicaDirectoryId: "d2", fetchOffset: 2, lastFetchedEpoch: 1 }, ++now);
    expect(core.committedOffset).toBe(1);
    expect(core.ready().flushLog).toBe(true);
    core.advance({ persistState: null, persistVoters: null, flushLog: true, messages: [], applySnapshot: null, committed: [], logEndOffset: 2, epoch: 1 }, now);
    expect(core.committedOffset).toBe(2);
    expect(core.ready().committed.map((e) => e.offset)).toEqual([1]);
  });

  test("a single voter leads once its new epoch is on disk, and commits on its own flush", () => {
    const { core, log } = makeCore(1, { voters: [{ id: 1, directoryId: "d1" }] });
    const now = core.nextDeadline();
    core.tick(now);
    // Nothing of epoch 1 may reach the log before the state saying it stood in epoch 1.
    expect(core.currentRole).toBe("candidate");
    expect(log.endOffset()).toBe(0);
    const stood = core.ready();
    expect(stood.persistState).toEqual({ epoch: 1, leaderId: null, votedId: 1, votedDirectoryId: "d1" });
    expect(stood.flushLog).toBe(false);
    core.advance(stood, now);
    expect(core.currentRole).toBe("leader");
    core.propose(bytes("solo"), now);
    const first = drain(core, now);
    expect(first.persistState?.leaderId).toBe(1);
    expect(first.committed).toEqual([]);
    expect(core.ready().committed.map((e) => e.kind)).toEqual(["leader-change", "data"]);
  });

  test("proposals anywhere but on the leader are refused with NOT_CONTROLLER", () => {
    const { core } = makeCore(2, { state: { epoch: 3, leaderId: 1, votedId: null, votedDirectoryId: null } });
    expect(core.currentRole).toBe("follower");
    let caught: unknown;
    try {
      core.propose(bytes("x"), 0);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StreamNestError);
    expect((caught as StreamNestError).code).toBe("NOT_CONTROLLER");
    expect((caught as StreamNestError).message).toContain("leader: 1, epoch 3");
  });

  test("a directory id a voter reports itself is adopted once and handed to the driver to persist; a recorded one is never replaced", () => {
    const { core } = makeCore(3, { voters: LEGACY_VOTERS });
    drain(core, 0);
    core.learnDirectoryId(2, "d2");
    expect(core.hasReady()).toBe(true);
    expect(drain(core, 1).persistVoters).toEqual([{ id: 1, directoryId: null }, { id: 2, directoryId: "d2" }, { id: 3, directoryId: "d3" }]);
    core.learnDirectoryId(2, "d2-wiped");
    core.learnDirectoryId(9, "not-a-voter");
    expect(core.hasReady()).toBe(false);
    expect(core.status().voters.map((v) => v.directoryId)).toEqual([null, "d2", "d3"]);
  });

  test("a node that led an epoch before a restart does not lead it again", () => {
    const { core } = makeCore(1, { state: { epoch: 4, leaderId: 1, votedId: 1, votedDirectoryId: "d1" }, log: logWith([4]) });
    expect(core.status()).toMatchObject({ role: "unattached", epoch: 4, votedId: 1 });
    // It cannot vote again in epoch 4 either.
    core.step({ type: "vote-request", from: 2, to: 1, correlationId: 1, epoch: 4, candidateDirectoryId: "d2", voterDirectoryId: "d1", lastEpoch: 4, lastOffset: 9, preVote: false }, 1);
    expect(ofType(core.ready().messages, "vote-response")[0]!.granted).toBe(false);
  });

  test("a follower restarted from its state file fetches from the leader it knew", () => {
    const { core } = makeCore(3, { state: { epoch: 2, leaderId: 2, votedId: 2, votedDirectoryId: "d2" }, log: logWith([1, 2]) });
    const fetch = ofType(core.ready().messages, "fetch-request");
    expect(fetch.map((m) => [m.to, m.epoch, m.fetchOffset, m.lastFetchedEpoch])).toEqual([[2, 2, 2, 2]]);
  });

  test("a snapshot may cover only applied entries; taking one trims the log", () => {
    const { core, log, now } = leaderOfEpoch1();
    core.propose(bytes("a"), now);
    core.propose(bytes("b"), now);
    core.step({ type: "fetch-request", from: 2, to: 1, correlationId: 5, epoch: 1, replicaDirectoryId: "d2", fetchOffset: 3, lastFetchedEpoch: 1 }, now);
    expect(() => core.snapshotTaken({ endOffset: 2, epoch: 1 })).toThrow(/past the applied offset/);
    // The fetch commits the leader-change entry; the leader's flush then the rest.
    expect(drain(core, now).committed.map((e) => e.offset)).toEqual([0]);
    expect(drain(core, now).committed.map((e) => e.offset)).toEqual([1, 2]);
    const id = core.snapshotIdAt(2);
    expect(id).toEqual({ endOffset: 2, epoch: 1 });
    log.createSnapshot(id, bytes("state"));
    core.snapshotTaken(id);
    expect([log.startOffset(), log.endOffset()]).toEqual([2, 3]);
    expect(core.ready().flushLog).toBe(true);
    expect(() => core.snapshotTaken({ endOffset: 3, epoch: 2 })).toThrow(StreamNestError);
  });

  test("a restart from a snapshot hands the snapshot to the driver before any entry", () => {
    const log = logWith([1, 1, 1]);
    log.createSnapshot({ endOffset: 2, epoch: 1 }, bytes("s"));
    const { core } = makeCore(2, { log, state: { epoch: 1, leaderId: 1, votedId: null, votedDirectoryId: null } });
    expect(core.committedOffset).toBe(2);
    const ready = core.ready();
    expect(ready.applySnapshot).toEqual({ endOffset: 2, epoch: 1 });
    expect(ready.committed).toEqual([]);
  });
});
