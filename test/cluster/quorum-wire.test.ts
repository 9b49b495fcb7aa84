import { describe, expect, test } from "bun:test";
import { decodeQuorumMessages, encodeQuorumMessages } from "../../src/cluster/quorum-wire.ts";
import type { QuorumMessage } from "../../src/cluster/quorum/messages.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

const all: QuorumMessage[] = [
  { type: "vote-request", from: 1, to: 2, correlationId: 7, epoch: 3, candidateDirectoryId: "d1", voterDirectoryId: null, lastEpoch: 2, lastOffset: 9, preVote: true },
  { type: "vote-response", from: 2, to: 1, correlationId: 7, epoch: 3, leaderId: null, granted: true, preVote: true, voterDirectoryId: "d2" },
  { type: "begin-epoch-request", from: 1, to: 3, correlationId: 8, epoch: 3, leaderId: 1 },
  { type: "begin-epoch-response", from: 3, to: 1, correlationId: 8, epoch: 3, leaderId: 1 },
  { type: "end-epoch-request", from: 1, to: 2, correlationId: 9, epoch: 3, leaderId: 1, preferredSuccessors: [2, 3] },
  { type: "fetch-request", from: 2, to: 1, correlationId: 10, epoch: 3, replicaDirectoryId: "d2", fetchOffset: 4, lastFetchedEpoch: 2 },
  {
    type: "fetch-response",
    from: 1,
    to: 2,
    correlationId: 10,
    error: "NONE",
    epoch: 3,
    leaderId: 1,
    highWatermark: 4,
    entries: [{ offset: 4, epoch: 3, kind: "data", payload: new Uint8Array([0, 255, 7]) }],
    divergingEpoch: { epoch: 2, endOffset: 3 },
    snapshotId: null,
  },
  { type: "fetch-snapshot-request", from: 2, to: 1, correlationId: 11, epoch: 3, replicaDirectoryId: "d2", snapshotId: { endOffset: 4, epoch: 2 }, position: 0 },
  {
    type: "fetch-snapshot-response",
    from: 1,
    to: 2,
    correlationId: 11,
    error: "NONE",
    epoch: 3,
    leaderId: 1,
    snapshotId: { endOffset: 4, epoch: 2 },
    position: 0,
    size: 2,
    bytes: new Uint8Array([1, 2]),
  },
];

describe("quorum wire", () => {
  test("each of the nine messages survives encode and decode unchanged", () => {
    expect(decodeQuorumMessages(JSON.parse(encodeQuorumMessages(all)))).toEqual(all);
  });

  test("a fetch refusal, with no high watermark known (-1), crosses the wire: it names the leader to an observer", () => {
    const refusal: QuorumMessage = {
      type: "fetch-response", from: 2, to: 4, correlationId: 12, error: "NOT_LEADER", epoch: 1, leaderId: 1,
      highWatermark: -1, entries: [], divergingEpoch: null, snapshotId: null,
    };
    expect(decodeQuorumMessages(JSON.parse(encodeQuorumMessages([refusal])))).toEqual([refusal]);
    expect(() => decodeQuorumMessages({ messages: [{ ...refusal, highWatermark: -2 }] })).toThrow("highWatermark (or -1 with an error) must be an integer ≥ 0");
  });

  test("a malformed message is refused with INVALID_REQUEST naming the field", () => {
    const bad = (body: unknown) => {
      try {
        decodeQuorumMessages(body);
      } catch (error) {
        expect(error).toBeInstanceOf(StreamNestError);
        return (error as StreamNestError).code + ": " + (error as StreamNestError).message;
      }
      throw new Error("accepted");
    };
    expect(bad({})).toBe('INVALID_REQUEST: malformed quorum message: expected {"messages": […]}');
    expect(bad({ messages: [{ ...all[0], type: "gossip" }] })).toContain('unknown type "gossip"');
    expect(bad({ messages: [{ ...all[0], epoch: -1 }] })).toContain("epoch must be an integer ≥ 0");
    expect(bad({ messages: [{ ...all[1], granted: "yes" }] })).toContain("granted must be true or false");
    const response = JSON.parse(encodeQuorumMessages([all[6]!])).messages[0];
    expect(bad({ messages: [{ ...response, error: "MAYBE" }] })).toContain('unknown fetch error "MAYBE"');
    expect(bad({ messages: [{ ...response, entries: [{ offset: 1, epoch: 1, kind: "other", payload: "" }] }] })).toContain("unknown kind");
  });
});
