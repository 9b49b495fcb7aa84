import { describe, expect, test } from "bun:test";
import { StreamNestError } from "../../src/lib/errors.ts";
import { toProduceBatch, toProduceRecord } from "../../src/http/produce-records.ts";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe("JSON messages as the core's records", () => {
  test("text becomes UTF-8 bytes; a null or absent key is no key; the partition is kept", () => {
    expect(toProduceRecord({ message: "héllo", key: "k", partition: 2, headers: { a: "1", b: "" } })).toEqual({
      key: bytes("k"),
      value: bytes("héllo"),
      headers: [
        { key: "a", value: bytes("1") },
        { key: "b", value: bytes("") },
      ],
      partition: 2,
    });
    expect(toProduceRecord({ message: "", key: null })).toEqual({ key: null, value: bytes(""), headers: [] });
  });

  test("a lone surrogate is refused in the request's own field names", () => {
    const why = (run: () => unknown): string => {
      try {
        run();
      } catch (error) {
        if (error instanceof StreamNestError) return `${error.code}: ${error.message}`;
      }
      return "accepted";
    };
    expect(why(() => toProduceRecord({ message: "a\ud800b" }))).toBe(
      'INVALID_REQUEST: message is not valid Unicode: a lone surrogate \\ud800 at character 1 (a "\\ud800" escape needs its pair)',
    );
    expect(why(() => toProduceRecord({ message: "x", key: "\udfff" }, 4))).toStartWith(
      "INVALID_REQUEST: messages[4].key is not valid Unicode",
    );
    expect(why(() => toProduceRecord({ message: "x", headers: { "\ud800": "v" } }))).toStartWith("INVALID_REQUEST: a header name is not valid Unicode");
  });

  test("a batch keeps each refused message's error at its place among the core's outcomes", () => {
    const batch = toProduceBatch([{ message: "a" }, { message: "\ud83d" }, { message: "c" }]);
    expect(batch.records.map((r) => new TextDecoder().decode(r.value!))).toEqual(["a", "c"]);
    expect(batch.merge([{ partition: 0, offset: 5 }, { partition: 1, offset: 9 }])).toEqual([
      { partition: 0, offset: 5 },
      {
        error: "INVALID_REQUEST",
        message: 'messages[1].message is not valid Unicode: a lone surrogate \\ud83d at character 0 (a "\\ud83d" escape needs its pair)',
      },
      { partition: 1, offset: 9 },
    ]);
  });

  test("a refusal in a batch names the fields of the message at its place", () => {
    const batch = toProduceBatch([
      { message: "a", key: "k", key_base64: "aw==" },
      { message: "b", message_base64: "Yg==" },
      { message_base64: "not base64" },
      {},
      { message: "e", key_base64: "!" },
      { message: "f", headers: { h: "\udc00" } },
    ]);
    expect(batch.records).toEqual([]);
    expect(batch.merge([]).map((o) => ("message" in o ? o.message : o))).toEqual([
      "give either messages[0].key or messages[0].key_base64, not both",
      "give either messages[1].message or messages[1].message_base64, not both",
      "messages[2].message_base64 must be base64 (RFC 4648: A-Z a-z 0-9 + /, padded with = to a multiple of 4 characters)",
      "messages[3].message is required (a string, or null for a tombstone), or messages[3].message_base64 (bytes in base64)",
      "messages[4].key_base64 must be base64 (RFC 4648: A-Z a-z 0-9 + /, padded with = to a multiple of 4 characters)",
      'header "h" is not valid Unicode: a lone surrogate \\udc00 at character 0 (a "\\udc00" escape needs its pair)',
    ]);
  });
});
