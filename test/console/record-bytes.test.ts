import { describe, expect, test } from "bun:test";
import { matchesFilter } from "../../src/console/message-format.ts";
import { base64Bytes, formatKey, formatMessage, hexLine, recordHeaders } from "../../src/console/record-bytes.ts";
import type { ConsoleRecord } from "../../src/console/types.ts";

// what the broker's "message"/"key" hold for bytes that are not UTF-8 (src/http/record-json.ts)
const lossy = (bytes: number[]): string => new TextDecoder("utf-8", { ignoreBOM: true }).decode(new Uint8Array(bytes));

const VALUE = [0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe, 0x00];
const KEY = [0xff, 0x00, 0x41];

/** The record GET …/records answers for value 89 50 4e 47 ff fe 00 and key ff 00 41. */
const binary: ConsoleRecord = {
  offset: 0,
  key: lossy(KEY),
  message: lossy(VALUE),
  headers: {},
  timestamp: 1,
  message_base64: "iVBOR//+AA==",
  key_base64: "/wBB",
};

describe("a record's exact bytes", () => {
  test("base64 decodes to the bytes, shown as a hex line", () => {
    expect([...base64Bytes("iVBOR//+AA==")]).toEqual(VALUE);
    expect(hexLine(base64Bytes("/wBB"))).toBe("ff 00 41");
    expect(hexLine(new Uint8Array(5), 2)).toBe("00 00 … 3 more bytes");
  });

  test("the value's hex is of message_base64, not of the U+FFFD text", () => {
    expect(formatMessage(binary)).toEqual({ kind: "binary", text: "00000000  89 50 4e 47 ff fe 00" });
  });

  test("the key is shown as hex of key_base64", () => {
    expect(formatKey(binary)).toEqual({ binary: true, text: "ff 00 41" });
  });

  test("text keys and values are unchanged; tombstones and null keys stay null", () => {
    const plain: ConsoleRecord = { offset: 1, key: "user-7", message: '{"a":1}', headers: {}, timestamp: 1 };
    expect(formatKey(plain)).toEqual({ binary: false, text: "user-7" });
    expect(formatMessage(plain)).toEqual({ kind: "json", text: '{\n  "a": 1\n}' });
    expect(formatKey({ ...plain, key: "a\u0000b" })).toEqual({ binary: true, text: "61 00 62" });
    expect(formatKey({ ...plain, key: null })).toBeNull();
    expect(formatMessage({ ...plain, message: null })).toBeNull();
  });
});

describe("a record's headers", () => {
  // kafkajs headers { dup: ["one", "two"], bin: ff fe }, and a null one, as the broker answers them
  const record: ConsoleRecord = {
    offset: 0,
    key: null,
    message: "v",
    headers: { dup: "two", bin: lossy([0xff, 0xfe]), nil: "" },
    timestamp: 1,
    header_list: [
      { key: "dup", value: "one" },
      { key: "dup", value: "two" },
      { key: "bin", value: lossy([0xff, 0xfe]), value_base64: "//4=" },
      { key: "nil", value: null },
    ],
  };

  test("from header_list: every header, in order, bytes as hex, a null value as null", () => {
    expect(recordHeaders(record)).toEqual([
      { key: "dup", value: { binary: false, text: "one" } },
      { key: "dup", value: { binary: false, text: "two" } },
      { key: "bin", value: { binary: true, text: "ff fe" } },
      { key: "nil", value: null },
    ]);
  });

  test("from the headers object when there is no header_list", () => {
    expect(recordHeaders({ ...record, header_list: undefined, headers: { trace: "abc", ctl: "\u0001" } })).toEqual([
      { key: "trace", value: { binary: false, text: "abc" } },
      { key: "ctl", value: { binary: true, text: "01" } },
    ]);
  });

  test("the filter finds a header value only header_list has", () => {
    expect(matchesFilter(record, "one")).toBe(true);
    expect(matchesFilter({ ...record, header_list: undefined }, "one")).toBe(false);
  });
});
