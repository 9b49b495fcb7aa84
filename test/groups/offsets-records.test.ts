import { describe, expect, test } from "bun:test";
import { decodeOffsetsRecord, encodeOffsetsEntry, type OffsetsEntry } from "../../src/groups/offsets-records.ts";
import type { StoredRecord } from "../../src/storage/types.ts";

const stored = (entry: OffsetsEntry, offset = 7): StoredRecord => ({ ...encodeOffsetsEntry(entry, 1234), offset });
const raw = (key: string | null, value: string): StoredRecord => ({
  key: key === null ? null : new TextEncoder().encode(key),
  value: new TextEncoder().encode(value),
  headers: [],
  timestamp: 0,
  offset: 3,
});

describe("__consumer_offsets records", () => {
  test("an offset commit round-trips with readable JSON key and value", () => {
    const entry: OffsetsEntry = {
      kind: "offset",
      group: "g",
      topic: "orders",
      partition: 4,
      value: { offset: 42, metadata: "höst", commitTimestamp: 1700000000000 },
    };
    const record = encodeOffsetsEntry(entry, 99);
    expect(new TextDecoder().decode(record.key!)).toBe('{"v":1,"kind":"offset","group":"g","topic":"orders","partition":4}');
    expect(new TextDecoder().decode(record.value!)).toBe('{"v":1,"offset":42,"metadata":"höst","commit_timestamp":1700000000000}');
    expect(record.timestamp).toBe(99);
    expect(decodeOffsetsRecord({ ...record, offset: 0 })).toEqual(entry);
  });

  test("the topic incarnation a commit was made for round-trips", () => {
    const entry: OffsetsEntry = {
      kind: "offset",
      group: "g",
      topic: "orders",
      partition: 1,
      value: { offset: 3, metadata: "", commitTimestamp: 5, topicId: "9f1c" },
    };
    const record = encodeOffsetsEntry(entry, 5);
    expect(new TextDecoder().decode(record.value!)).toBe('{"v":1,"offset":3,"metadata":"","commit_timestamp":5,"topic_id":"9f1c"}');
    expect(decodeOffsetsRecord({ ...record, offset: 0 })).toEqual(entry);
  });

  test("a negative offset a Kafka client committed (kafkajs's -2 for earliest) round-trips", () => {
    const entry: OffsetsEntry = { kind: "offset", group: "g", topic: "t", partition: 0, value: { offset: -2, metadata: "", commitTimestamp: 5 } };
    expect(decodeOffsetsRecord({ ...encodeOffsetsEntry(entry, 5), offset: 0 })).toEqual(entry);
  });

  test("a tombstone has an empty value and decodes to value null", () => {
    const entry: OffsetsEntry = { kind: "offset", group: "g", topic: "t", partition: 0, value: null };
    const record = encodeOffsetsEntry(entry, 1);
    expect(record.value!.length).toBe(0);
    expect(decodeOffsetsRecord({ ...record, offset: 0 })).toEqual(entry);
  });

  test("group metadata round-trips, and so does its tombstone", () => {
    const entry: OffsetsEntry = { kind: "group", group: "g", value: { generation: 5, assignor: "roundrobin" } };
    expect(decodeOffsetsRecord(stored(entry))).toEqual(entry);
    const gone: OffsetsEntry = { kind: "group", group: "g", value: null };
    expect(decodeOffsetsRecord(stored(gone))).toEqual(gone);
  });

  test("records that are not ours decode to a reason, never throw", () => {
    expect(decodeOffsetsRecord(raw(null, "x"))).toBe("record has no key");
    expect(decodeOffsetsRecord(raw("not json", "{}"))).toBe("record is not UTF-8 JSON");
    expect(decodeOffsetsRecord(raw('{"kind":"offset"}', ""))).toBe("record key has no group");
    expect(decodeOffsetsRecord(raw('{"kind":"offset","group":"g","topic":"t","partition":-1}', ""))).toBe(
      "offset key has no topic or partition",
    );
    expect(decodeOffsetsRecord(raw('{"kind":"offset","group":"g","topic":"t","partition":0}', '{"offset":"1"}'))).toBe(
      "offset value has no offset",
    );
    expect(decodeOffsetsRecord(raw('{"kind":"offset","group":"g","topic":"t","partition":0}', "[1]"))).toBe(
      "record value is not an object",
    );
    expect(decodeOffsetsRecord(raw('{"kind":"group","group":"g"}', '{"generation":1.5}'))).toBe("group value has no generation");
    expect(decodeOffsetsRecord(raw('{"kind":"member","group":"g"}', ""))).toBe('unknown record kind "member"');
    const bad: StoredRecord = { key: new Uint8Array([0xff, 0xfe]), value: new Uint8Array(0), headers: [], timestamp: 0, offset: 0 };
    expect(decodeOffsetsRecord(bad)).toBe("record is not UTF-8 JSON");
  });
});
