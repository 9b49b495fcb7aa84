import { expect, test } from "bun:test";
import { decodeFetchAnswer, decodeFetchRequest, encodeFetchAnswer, encodeFetchRequest } from "../../../src/cluster/replication/fetch-wire.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

test("a fetch request round-trips; a malformed one is refused", () => {
  const head = { topic: "t", topicId: "id", partition: 2, replica: 3, fetchOffset: 40, lastFetchedEpoch: null, leaderEpoch: 5, maxWaitMs: 500 };
  expect(decodeFetchRequest(encodeFetchRequest(head))).toEqual(head);
  expect(() => decodeFetchRequest(encodeFetchRequest({ ...head, fetchOffset: "x" as unknown as number }))).toThrow("malformed replica fetch");
  expect(() => decodeFetchRequest(new Uint8Array([0, 0]))).toThrow("too short");
});

test("records travel as raw bytes with null keys, null values (tombstones) and header values kept, offsets implied", () => {
  const records = [
    { offset: 7, timestamp: 1700000000123, key: null, value: new Uint8Array([0, 255, 10]), headers: [] },
    { offset: 8, timestamp: 1700000000124, key: bytes("k"), value: bytes("héllo"), headers: [{ key: "h", value: null }, { key: "ü", value: bytes("v") }] },
    { offset: 9, timestamp: 1700000000125, key: bytes("gone"), value: null, headers: [] },
    { offset: 10, timestamp: 1700000000126, key: null, value: new Uint8Array(0), headers: [] },
  ];
  const encoded = encodeFetchAnswer({ verdict: { kind: "read" }, highWatermark: 8, logStartOffset: 0, runs: [{ epoch: 2, startOffset: 7 }] }, records);
  const { head, records: back } = decodeFetchAnswer(encoded);
  expect(head).toEqual({ verdict: { kind: "read" }, highWatermark: 8, logStartOffset: 0, runs: [{ epoch: 2, startOffset: 7 }], firstOffset: 7, count: 4 });
  expect(back).toEqual(records);
  expect(() => decodeFetchAnswer(encoded.subarray(0, encoded.length - 3))).toThrow("truncated");
});
