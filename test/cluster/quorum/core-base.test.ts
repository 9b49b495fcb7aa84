import { describe, expect, test } from "bun:test";
import { drain, makeCore, ofType } from "./core-fixture.ts";

describe("role transitions (Raft's rule for epochs, KRaft's QuorumState)", () => {
  test("learning the leader of the epoch it voted in keeps the vote, so no second vote is cast in it", () => {
    const { core } = makeCore(3);
    core.step({ type: "vote-request", from: 1, to: 3, correlationId: 1, epoch: 1, candidateDirectoryId: "d1", voterDirectoryId: "d3", lastEpoch: 0, lastOffset: 0, preVote: false }, 1);
    drain(core, 1);
    core.step({ type: "begin-epoch-request", from: 1, to: 3, correlationId: 2, epoch: 1, leaderId: 1 }, 2);
    expect(drain(core, 2).persistState).toEqual({ epoch: 1, leaderId: 1, votedId: 1, votedDirectoryId: "d1" });
    core.step({ type: "vote-request", from: 2, to: 3, correlationId: 3, epoch: 1, candidateDirectoryId: "d2", voterDirectoryId: "d3", lastEpoch: 9, lastOffset: 9, preVote: false }, 3);
    expect(ofType(drain(core, 3).messages, "vote-response")[0]!.granted).toBe(false);
  });

  test("a node never follows two leaders in one epoch", () => {
    const { core } = makeCore(3, { state: { epoch: 2, leaderId: 1, votedId: null, votedDirectoryId: null } });
    drain(core, 0);
    core.step({ type: "begin-epoch-request", from: 2, to: 3, correlationId: 1, epoch: 2, leaderId: 2 }, 1);
    expect(core.status()).toMatchObject({ role: "follower", epoch: 2, leaderId: 1 });
    expect(drain(core, 1).persistState).toBeNull();
  });

  test("any message of a later epoch moves the node to it, forgetting the old vote, and follows the leader it names", () => {
    const { core } = makeCore(3, { state: { epoch: 2, leaderId: null, votedId: 1, votedDirectoryId: "d1" } });
    core.step({ type: "vote-response", from: 2, to: 3, correlationId: 1, epoch: 5, leaderId: 2, granted: false, preVote: false, voterDirectoryId: "d2" }, 1);
    expect(core.status()).toMatchObject({ role: "follower", epoch: 5, leaderId: 2, votedId: null });
    core.step({ type: "end-epoch-request", from: 1, to: 3, correlationId: 2, epoch: 6, leaderId: 1, preferredSuccessors: [] }, 2);
    expect(core.status()).toMatchObject({ role: "unattached", epoch: 6, leaderId: null });
    expect(drain(core, 2).persistState).toEqual({ epoch: 6, leaderId: null, votedId: null, votedDirectoryId: null });
  });

  test("messages addressed to another node are ignored", () => {
    const { core } = makeCore(3);
    core.step({ type: "begin-epoch-request", from: 1, to: 2, correlationId: 1, epoch: 9, leaderId: 1 }, 1);
    expect(core.status()).toMatchObject({ role: "unattached", epoch: 0 });
    expect(core.hasReady()).toBe(false);
  });
});
