import { describe, expect, test } from "bun:test";
import type { StoredRecord } from "../../src/broker/types.ts";
import { recordJson, recordsJson, recordsJsonBytes } from "../../src/http/record-json.ts";

const utf8 = new TextEncoder();
const text = new TextDecoder("utf-8", { ignoreBOM: true });

function record(offset: number, value: Uint8Array | null, key: Uint8Array | null = null, headers: StoredRecord["headers"] = []): StoredRecord {
  return { offset, timestamp: 1_700_000_000_000 + offset, key, value, headers };
}

/** The bytes answer must be exactly the text answer, encoded. */
function bytesMatchText(records: StoredRecord[]): void {
  const bytes = recordsJsonBytes('{"a":"é",', records, ',"z":1}');
  expect(text.decode(bytes)).toBe(`{"a":"é",${recordsJson(records)},"z":1}`);
}

describe("recordsJsonBytes", () => {
  test("a tombstone (null value) is message null, the empty value message \"\"", () => {
    const records = [record(0, null, utf8.encode("k")), record(1, new Uint8Array(0)), record(2, null)];
    bytesMatchText(records);
    expect(recordJson(records[0])).toBe('{"offset":0,"key":"k","message":null,"headers":{},"timestamp":1700000000000}');
    expect(JSON.parse(text.decode(recordsJsonBytes("", records, ""))).map((r: { message: string | null }) => r.message)).toEqual([null, "", null]);
  });

  test("plain ASCII, escapes, control characters, DEL and non-ASCII read as JSON.stringify writes them", () => {
    const values = [
      "",
      "x".repeat(100),
      '{"json":"doc","n":[1,2]}',
      "back\\slash",
      "tab\there\nnew\r\f\b",
      "\u0000\u0001\u001f\u007f",
      "café ☕ 𝄞 \u2028\u2029",
      "\uFEFFstarts with a byte order mark",
    ];
    const records = values.map((v, i) => record(i, utf8.encode(v), i % 2 ? utf8.encode(`k"${v}`) : null));
    bytesMatchText(records);
    const parsed = JSON.parse(text.decode(recordsJsonBytes("", records, "")));
    expect(parsed.map((r: { message: string }) => r.message)).toEqual(values);
    expect(parsed.map((r: { key: string | null }) => r.key)).toEqual(values.map((v, i) => (i % 2 ? `k"${v}` : null)));
  });

  test("bytes that are not valid UTF-8 read as the decoder reads them (U+FFFD)", () => {
    const broken = [
      new Uint8Array([0xff]),
      new Uint8Array([0x61, 0xc3]),
      new Uint8Array([0xed, 0xa0, 0x80]),
      new Uint8Array([0xc0, 0xaf, 0x22]),
    ];
    bytesMatchText(broken.map((v, i) => record(i, v, v)));
    expect(JSON.parse(text.decode(recordsJsonBytes("", [record(0, broken[1])], ""))) [0].message).toBe("a\uFFFD");
  });

  test("bytes that are not UTF-8 also travel exactly, as message_base64 and key_base64", () => {
    const value = new Uint8Array([0x61, 0xff, 0x00]);
    const key = new Uint8Array([0xfe]);
    const [fromBytes] = JSON.parse(text.decode(recordsJsonBytes("", [record(3, value, key)], "")));
    const fromText = JSON.parse(recordJson(record(3, value, key)));
    for (const r of [fromBytes, fromText]) {
      expect([r.message, r.message_base64, r.key, r.key_base64]).toEqual(["a\uFFFD\u0000", "Yf8A", "\uFFFD", "/g=="]);
      expect([...Buffer.from(r.message_base64, "base64")]).toEqual([0x61, 0xff, 0x00]);
    }
    const plain = JSON.parse(recordJson(record(4, utf8.encode("ok"), utf8.encode("k"))));
    expect(Object.keys(plain)).toEqual(["offset", "key", "message", "headers", "timestamp"]);
  });

  test("headers (the last of a repeated name wins), no records, and every byte value", () => {
    const headers = [
      { key: "h", value: utf8.encode("one") },
      { key: "e\"mpty", value: null },
      { key: "h", value: utf8.encode("two\n") },
    ];
    bytesMatchText([record(5, utf8.encode("v"), null, headers)]);
    bytesMatchText([]);
    expect(text.decode(recordsJsonBytes("<", [], ">"))).toBe("<[]>");
    const every = Uint8Array.from({ length: 128 }, (_, i) => i);
    bytesMatchText([record(0, every), record(1, utf8.encode("ok"))]);
    expect(JSON.parse(recordJson(record(0, every))).message).toBe(String.fromCharCode(...every));
  });

  test("an answer larger than its first size estimate grows without losing bytes", () => {
    const escaped = utf8.encode("\u0001".repeat(5000));
    const records = Array.from({ length: 20 }, (_, i) => record(i, escaped, escaped));
    bytesMatchText(records);
  });
});

describe("header_list", () => {
  const h = (key: string, value: Uint8Array | null) => ({ key, value });

  test("headers an object shows exactly (distinct keys, UTF-8 values) come without header_list", () => {
    const r = record(0, utf8.encode("v"), null, [h("a", utf8.encode("1")), h("b", utf8.encode("é"))]);
    expect(recordJson(r)).toBe('{"offset":0,"key":null,"message":"v","headers":{"a":"1","b":"é"},"timestamp":1700000000000}');
    bytesMatchText([r]);
  });

  test("a key given twice keeps every header, in order, in header_list", () => {
    const r = record(1, utf8.encode("v"), null, [h("trace", utf8.encode("1")), h("x", utf8.encode("y")), h("trace", utf8.encode("2"))]);
    const parsed = JSON.parse(recordJson(r));
    expect(parsed.headers).toEqual({ trace: "2", x: "y" });
    expect(parsed.header_list).toEqual([
      { key: "trace", value: "1" },
      { key: "x", value: "y" },
      { key: "trace", value: "2" },
    ]);
    bytesMatchText([r]);
  });

  test("a null value is null, and bytes that are not UTF-8 come exact in value_base64", () => {
    const r = record(2, null, null, [h("none", null), h("bin", new Uint8Array([0xff, 0x00, 0x41]))]);
    const [parsed] = JSON.parse(text.decode(recordsJsonBytes("", [r], "")));
    expect(parsed.headers).toEqual({ none: "", bin: "\uFFFD\u0000A" });
    expect(parsed.header_list).toEqual([
      { key: "none", value: null },
      { key: "bin", value: "\uFFFD\u0000A", value_base64: "/wBB" },
    ]);
    expect(Buffer.from(parsed.header_list[1].value_base64, "base64")).toEqual(Buffer.from([0xff, 0x00, 0x41]));
    bytesMatchText([r]);
  });
});
