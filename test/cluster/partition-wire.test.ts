import { describe, expect, test } from "bun:test";
import {
  decodeFetch,
  decodeProduceMessage,
  decodeRecord,
  encodeProduceRecord,
  encodeFetch,
  encodeRecord,
  parseFetchCall,
  parseProduceBatch,
} from "../../src/cluster/partition-wire.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import type { StoredRecord } from "../../src/storage/types.ts";

describe("partition wire", () => {
  test("records cross the wire byte for byte, bytes that are not UTF-8 included", () => {
    const records: StoredRecord[] = [
      {
        offset: 7,
        timestamp: 1_700_000_000_123,
        key: new Uint8Array([0xff, 0x00, 0xfe]),
        value: new Uint8Array([0xc3, 0x28, 0x00, 0x80, 0x41]),
        headers: [
          { key: "trace", value: new TextEncoder().encode("héllo") },
          { key: "empty", value: null },
        ],
      },
      { offset: 8, timestamp: 0, key: null, value: new Uint8Array(0), headers: [] },
      { offset: 9, timestamp: 0, key: new Uint8Array([1]), value: null, headers: [] },
    ];
    const wire = JSON.parse(JSON.stringify(records.map(encodeRecord)));
    expect(wire.map(decodeRecord)).toEqual(records);
    const fetched = { records, nextOffset: 9, startOffset: 3, endOffset: 12 };
    expect(decodeFetch(JSON.parse(JSON.stringify(encodeFetch(fetched))))).toEqual(fetched);
  });

  test("a forwarded produce names its partition on every message", () => {
    expect(
      parseProduceBatch({ calls: [{ topic: "t", partition: 2, messages: [{ message: "a", partition: 0 }, { message: "b" }] }] }),
    ).toEqual({ calls: [{ topic: "t", partition: 2, messages: [{ message: "a", partition: 2 }, { message: "b", partition: 2 }] }] });
  });

  test("malformed calls are INVALID_REQUEST", () => {
    for (const bad of [null, [], { calls: "x" }, { calls: [{ topic: 1, partition: 0, messages: [] }] }, { calls: [{ topic: "t", partition: 0 }] }]) {
      expect(() => parseProduceBatch(bad)).toThrow(StreamNestError);
    }
    expect(() => parseFetchCall({ topic: "t", partition: 0, offset: 0, maxRecords: "10" })).toThrow("maxRecords must be a number");
    expect(parseFetchCall({ topic: "t", partition: 1, offset: 4, timeoutMs: 100 })).toEqual({
      topic: "t",
      partition: 1,
      offset: 4,
      maxRecords: undefined,
      maxBytes: undefined,
      timeoutMs: 100,
      uncounted: false,
    });
    // A HEAD forwarded to the leader reads without counting there either.
    expect(parseFetchCall({ topic: "t", partition: 1, offset: 4, uncounted: true }).uncounted).toBe(true);
    expect(parseFetchCall({ topic: "t", partition: 1, offset: 4, uncounted: "yes" }).uncounted).toBe(false);
  });

  test("a produced record travels as text when it is UTF-8, else as base64, and arrives byte for byte", () => {
    const text = { key: new TextEncoder().encode("k"), value: new TextEncoder().encode("héllo"), headers: [{ key: "h", value: null }] };
    expect(encodeProduceRecord(text)).toEqual({ message: "héllo", key: "k", headers: [{ key: "h", value: null }] });
    const binary = { key: null, value: new Uint8Array([0xff, 0x00]), headers: [{ key: "h", value: new Uint8Array([0x80]) }] };
    const wire = JSON.parse(JSON.stringify(encodeProduceRecord(binary)));
    expect(wire).toEqual({ message: "/wA=", base64: true, headers: [{ key: "h", value: "gA==" }] });
    expect(decodeProduceMessage(wire, 3)).toEqual({ ...binary, partition: 3 });
    expect(decodeProduceMessage(JSON.parse(JSON.stringify(encodeProduceRecord(text))), 0)).toEqual({ ...text, partition: 0 });
    const tombstone = { key: new TextEncoder().encode("k"), value: null, headers: [] };
    expect(encodeProduceRecord(tombstone)).toEqual({ message: null, key: "k" });
    expect(decodeProduceMessage(JSON.parse(JSON.stringify(encodeProduceRecord(tombstone))), 1)).toEqual({ ...tombstone, partition: 1 });
    expect(() => decodeProduceMessage({ message: 5 } as unknown as Parameters<typeof decodeProduceMessage>[0], 0)).toThrow(StreamNestError);
  });
});
