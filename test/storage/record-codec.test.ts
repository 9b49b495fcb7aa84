import { describe, expect, test } from "bun:test";
import { crc32c } from "../../src/lib/crc32c.ts";
import {
  checkFrame,
  decodeFrame,
  encodeRecords,
  MIN_FRAME_BYTES,
  sizeRecord,
} from "../../src/storage/record-codec.ts";
import type { RecordInput } from "../../src/storage/types.ts";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("record framing", () => {
  test("a frame has the documented layout, byte for byte", () => {
    const record: RecordInput = {
      key: utf8("k"),
      value: utf8("vv"),
      headers: [
        { key: "h", value: null },
        { key: "é", value: Uint8Array.of(9) },
      ],
      timestamp: 0x0102030405,
    };
    const frame = encodeRecords([record], 7);
    const body = [
      1, // magic
      7, 0, 0, 0, 0, 0, 0, 0, // offset
      0x05, 0x04, 0x03, 0x02, 0x01, 0, 0, 0, // timestamp
      1, 0, 0, 0, 0x6b, // key
      2, 0, 0, 0, 0x76, 0x76, // value
      2, 0, 0, 0, // header count
      1, 0, 0, 0, 0x68, 0xff, 0xff, 0xff, 0xff, // "h" = null
      2, 0, 0, 0, 0xc3, 0xa9, 1, 0, 0, 0, 9, // "é" = [9]
    ];
    const crc = crc32c(Uint8Array.from(body));
    const length = body.length + 4;
    const expected = Uint8Array.from([
      length & 0xff, length >> 8, 0, 0,
      crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24,
      ...body,
    ]);
    expect(frame).toEqual(expected);
    expect(sizeRecord(record).frameBytes).toBe(expected.length);
  });

  test("the smallest frame: null key, empty value, no headers", () => {
    const frame = encodeRecords([{ key: null, value: new Uint8Array(0), headers: [], timestamp: 0 }], 0);
    expect(frame.length).toBe(MIN_FRAME_BYTES);
    const check = checkFrame(frame, 0, frame.length);
    expect(check).toEqual({ kind: "ok", frameBytes: MIN_FRAME_BYTES, offset: 0, timestamp: 0 });
  });

  test("encode then decode returns the same records at consecutive offsets", () => {
    const records: RecordInput[] = [
      { key: null, value: utf8(""), headers: [], timestamp: 1 },
      { key: utf8(""), value: utf8("x"), headers: [{ key: "", value: new Uint8Array(0) }], timestamp: 1_700_000_000_123 },
      { key: utf8("ключ"), value: utf8("日本語 🎉"), headers: [{ key: "ヘッダ", value: utf8("値") }], timestamp: -1 },
      { key: utf8("big"), value: new Uint8Array(70_000).fill(0xab), headers: [], timestamp: Number.MAX_SAFE_INTEGER },
    ];
    const bytes = encodeRecords(records, 4_294_967_296 + 5);
    let at = 0;
    records.forEach((record, i) => {
      const check = checkFrame(bytes, at, bytes.length);
      if (check.kind !== "ok") throw new Error(`frame ${i}: ${check.kind}`);
      expect(check.offset).toBe(4_294_967_296 + 5 + i);
      expect(check.timestamp).toBe(record.timestamp);
      expect(decodeFrame(bytes, at, check.frameBytes)).toEqual({ ...record, offset: 4_294_967_296 + 5 + i });
      at += check.frameBytes;
    });
    expect(at).toBe(bytes.length);
  });

  test("a null value (tombstone) is length 0xFFFFFFFF and decodes as null, distinct from an empty value", () => {
    const tombstone: RecordInput = { key: utf8("k"), value: null, headers: [], timestamp: 2 };
    const empty: RecordInput = { key: utf8("k"), value: new Uint8Array(0), headers: [], timestamp: 2 };
    const bytes = encodeRecords([tombstone, empty], 0);
    const first = checkFrame(bytes, 0, bytes.length);
    if (first.kind !== "ok") throw new Error(first.kind);
    // Both frames are the same size: a null value takes no bytes beyond its length field.
    expect(first.frameBytes).toBe(bytes.length / 2);
    const body = bytes.subarray(8, first.frameBytes);
    // magic, offset, timestamp, key length + "k", then the value length field.
    expect([...body.subarray(1 + 8 + 8 + 4 + 1, 1 + 8 + 8 + 4 + 1 + 4)]).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(decodeFrame(bytes, 0, first.frameBytes)).toEqual({ ...tombstone, offset: 0 });
    expect(decodeFrame(bytes, first.frameBytes, first.frameBytes)).toEqual({ ...empty, offset: 1 });
    expect(sizeRecord(tombstone).frameBytes).toBe(first.frameBytes);
  });

  test("a frame written before null values existed (an empty value) still reads as the empty value", () => {
    // The bytes of an empty-value frame as the first release wrote them, CRC included.
    const body = [1, 3, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0];
    const crc = crc32c(Uint8Array.from(body));
    const frame = Uint8Array.from([body.length + 4, 0, 0, 0, crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24, ...body]);
    const check = checkFrame(frame, 0, frame.length);
    expect(check).toEqual({ kind: "ok", frameBytes: MIN_FRAME_BYTES, offset: 3, timestamp: 9 });
    expect(decodeFrame(frame, 0, MIN_FRAME_BYTES)).toEqual({ offset: 3, timestamp: 9, key: null, value: new Uint8Array(0), headers: [] });
  });

  test("a cut frame is partial at every length short of whole", () => {
    const frame = encodeRecords([{ key: utf8("k"), value: utf8("value"), headers: [], timestamp: 3 }], 0);
    for (let end = 0; end < frame.length; end++) {
      expect(checkFrame(frame, 0, end).kind).toBe("partial");
    }
    expect(checkFrame(frame, 0, frame.length).kind).toBe("ok");
  });

  test("every single flipped byte after the length is caught", () => {
    const frame = encodeRecords([{ key: utf8("k"), value: utf8("value"), headers: [{ key: "a", value: null }], timestamp: 3 }], 42);
    for (let i = 4; i < frame.length; i++) {
      const copy = frame.slice();
      copy[i] ^= 0x20;
      const check = checkFrame(copy, 0, copy.length);
      expect(check.kind).toBe("corrupt");
    }
  });

  test("an impossible length field is corrupt, not a request for more bytes", () => {
    const frame = new Uint8Array(64); // zeros, as power loss may leave behind
    const check = checkFrame(frame, 0, frame.length);
    expect(check.kind).toBe("corrupt");
  });
});
