import { expect, test } from "bun:test";
import { decodeFetchAnswer, decodeFetchRequest, encodeFetchAnswer, encodeFetchRequest } from "../../../src/cluster/replication/fetch-wire.ts";
import { checkChunk, chunkOfRecords, EMPTY_CHUNK, type FrameChunk } from "../../../src/storage/frame-chunk.ts";
import { decodeFrame, encodeRecords, MIN_FRAME_BYTES } from "../../../src/storage/record-codec.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

test("a fetch request round-trips; a malformed one is refused", () => {
  const head = { topic: "t", topicId: "id", partition: 2, replica: 3, fetchOffset: 40, lastFetchedEpoch: null, leaderEpoch: 5, maxWaitMs: 500 };
  expect(decodeFetchRequest(encodeFetchRequest(head))).toEqual(head);
  expect(() => decodeFetchRequest(encodeFetchRequest({ ...head, fetchOffset: "x" as unknown as number }))).toThrow("malformed replica fetch");
  expect(() => decodeFetchRequest(new Uint8Array([0, 0]))).toThrow("too short");
});

test("records travel as their log frames with null keys, null values (tombstones) and header values kept", () => {
  const records = [
    { offset: 7, timestamp: 1700000000123, key: null, value: new Uint8Array([0, 255, 10]), headers: [] },
    { offset: 8, timestamp: 1700000000124, key: bytes("k"), value: bytes("héllo"), headers: [{ key: "h", value: null }, { key: "ü", value: bytes("v") }] },
    { offset: 9, timestamp: 1700000000125, key: bytes("gone"), value: null, headers: [] },
    { offset: 10, timestamp: 1700000000126, key: null, value: new Uint8Array(0), headers: [] },
  ];
  const chunk = chunkOfRecords(records);
  const encoded = encodeFetchAnswer({ verdict: { kind: "read" }, highWatermark: 8, logStartOffset: 0, runs: [{ epoch: 2, startOffset: 7 }] }, chunk);
  const { head, chunk: back } = decodeFetchAnswer(encoded);
  expect(head).toEqual({ format: 2, verdict: { kind: "read" }, highWatermark: 8, logStartOffset: 0, runs: [{ epoch: 2, startOffset: 7 }], firstOffset: 7, count: 4 });
  expect(back.firstOffset).toBe(7);
  expect(back.count).toBe(4);
  expect(Buffer.compare(back.bytes, encodeRecords(records, 7))).toBe(0);
  expect(decodeAll(back)).toEqual(records);
});

test("an answer cut short or with bytes after an empty one is refused; a cut inside the frames fails the follower's check", () => {
  const records = [1, 2, 3].map((n) => ({ offset: 40 + n, timestamp: n, key: null, value: bytes(`v${n}`), headers: [] }));
  const encoded = encodeFetchAnswer({ verdict: { kind: "read" }, highWatermark: 41, logStartOffset: 0, runs: [{ epoch: 1, startOffset: 41 }] }, chunkOfRecords(records));
  expect(() => decodeFetchAnswer(encoded.subarray(0, encoded.length - 3 * MIN_FRAME_BYTES))).toThrow("truncated");
  const { chunk } = decodeFetchAnswer(encoded.subarray(0, encoded.length - 3));
  expect(() => checkChunk(chunk, 1 << 20)).toThrow("the chunk ends inside it");
  const empty = encodeFetchAnswer({ verdict: { kind: "read" }, highWatermark: 41, logStartOffset: 0, runs: [] }, EMPTY_CHUNK);
  expect(decodeFetchAnswer(empty).chunk.count).toBe(0);
  const padded = new Uint8Array(empty.length + 1);
  padded.set(empty);
  expect(() => decodeFetchAnswer(padded)).toThrow("bytes after an empty answer");
});

test("a fetch or an answer in another version's framing is refused, never read as this one", () => {
  const head = { topic: "t", topicId: "id", partition: 0, replica: 2, fetchOffset: 0, lastFetchedEpoch: null, leaderEpoch: 1, maxWaitMs: 500 };
  // Version 1 sent the same fields without a format.
  const v1 = (value: unknown): Uint8Array => {
    const json = new TextEncoder().encode(JSON.stringify(value));
    const out = new Uint8Array(4 + json.length);
    new DataView(out.buffer).setUint32(0, json.length);
    out.set(json, 4);
    return out;
  };
  expect(() => decodeFetchRequest(v1(head))).toThrow(
    "a replica fetch in framing 1; this broker speaks 2 (brokers of different versions do not replicate to each other: upgrade the follower)",
  );
  expect(() => decodeFetchAnswer(v1({ verdict: { kind: "read" }, highWatermark: 0, logStartOffset: 0, runs: [], firstOffset: 0, count: 0 }))).toThrow(
    "the leader answered in replica fetch framing 1; this broker speaks 2 (brokers of different versions do not replicate to each other: upgrade the leader)",
  );
});

function decodeAll(chunk: FrameChunk) {
  const { lengths } = checkChunk(chunk, 1 << 20);
  const view = new DataView(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength);
  let at = 0;
  return Array.from(lengths, (length) => {
    const record = decodeFrame(chunk.bytes, at, length, view);
    at += length;
    return record;
  });
}
