import { describe, expect, test } from "bun:test";
import { formatValue, isBinary, matchesFilter, parseHeaders, toHex } from "../../src/console/message-format.ts";

describe("message values", () => {
  test("JSON is pretty-printed", () => {
    expect(formatValue('{"a":1,"b":[true,null]}')).toEqual({ kind: "json", text: '{\n  "a": 1,\n  "b": [\n    true,\n    null\n  ]\n}' });
    expect(formatValue("  [1]  ")).toEqual({ kind: "json", text: "[\n  1\n]" });
  });

  test("text stays text, including text that only looks like JSON", () => {
    expect(formatValue("hello\tworld\n")).toEqual({ kind: "text", text: "hello\tworld\n" });
    expect(formatValue("{not json")).toEqual({ kind: "text", text: "{not json" });
    expect(formatValue("42")).toEqual({ kind: "text", text: "42" });
    expect(formatValue("héllo ✓")).toEqual({ kind: "text", text: "héllo ✓" });
  });

  test("values that are not text are shown as hex of their UTF-8 bytes", () => {
    expect(isBinary("a\u0000b")).toBe(true);
    expect(isBinary("bad \ufffd byte")).toBe(true);
    expect(formatValue("\u0001\u0002AB")).toEqual({ kind: "binary", text: "00000000  01 02 41 42" });
    expect(toHex("0123456789abcdefXY")).toBe("00000000  30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66\n00000010  58 59");
    expect(toHex(new Uint8Array([0xff, 0xfe, 0x00]))).toBe("00000000  ff fe 00");
    expect(toHex("\u0000".repeat(20), 16)).toBe("00000000  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n… 4 more bytes");
  });
});

describe("filter", () => {
  const record = { offset: 42, key: "user-7", message: '{"event":"Login"}', headers: { trace: "abc123" }, timestamp: 0 };
  test("every word must appear in key, value or headers, ignoring case", () => {
    expect(matchesFilter(record, "")).toBe(true);
    expect(matchesFilter(record, "  ")).toBe(true);
    expect(matchesFilter(record, "login USER-7")).toBe(true);
    expect(matchesFilter(record, "trace")).toBe(true);
    expect(matchesFilter(record, "ABC123 login")).toBe(true);
    expect(matchesFilter(record, "42")).toBe(false);
    expect(matchesFilter(record, "login logout")).toBe(false);
    expect(matchesFilter({ ...record, key: null }, "user")).toBe(false);
  });
});

describe("headers typed in the produce form", () => {
  test("name: value lines, blank lines skipped", () => {
    expect(parseHeaders("")).toEqual({ headers: {} });
    expect(parseHeaders("trace: abc\n\n content-type : application/json:x ")).toEqual({ headers: { trace: "abc", "content-type": "application/json:x" } });
  });
  test("a line without a name is refused, naming it", () => {
    expect(parseHeaders("a: 1\nnope")).toEqual({ error: 'header line 2 is not "name: value"' });
    expect(parseHeaders(": x")).toEqual({ error: 'header line 1 is not "name: value"' });
  });
});
