import { expect, test } from "bun:test";
import { FetchSession } from "../../../src/cluster/quorum/fetch-session.ts";

test("only the answer to the request in flight is taken; an unanswered one is due again after the timeout", () => {
  const session = new FetchSession(100);
  expect(session.due(100, 50)).toBe(true);
  session.inFlight = { correlationId: 7, to: 1, sentAt: 100 };
  expect(session.due(149, 50)).toBe(false);
  expect(session.due(150, 50)).toBe(true);
  expect(session.accept(6)).toBe(false);
  expect(session.accept(7)).toBe(true);
  expect(session.accept(7)).toBe(false);
  expect(session.fetchTimeoutAt(200)).toBe(300);
  session.lastContactMs = 250;
  expect(session.fetchTimeoutAt(200)).toBe(450);
});

test("a snapshot is assembled from chunks in order; a chunk out of place is ignored", () => {
  const session = new FetchSession(0);
  const id = { endOffset: 9, epoch: 2 };
  session.download = { id, position: 0, chunks: [] };
  expect(session.addChunk(id, 0, new Uint8Array([1, 2]), 5)).toBeNull();
  expect(session.addChunk(id, 0, new Uint8Array([1, 2]), 5)).toBeNull();
  expect(session.addChunk({ endOffset: 9, epoch: 3 }, 2, new Uint8Array([3]), 5)).toBeNull();
  expect(session.addChunk(id, 2, new Uint8Array([3, 4, 5]), 5)).toEqual(new Uint8Array([1, 2, 3, 4, 5]));
  expect(session.download).toBeNull();
});
