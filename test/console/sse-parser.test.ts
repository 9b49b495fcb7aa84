import { describe, expect, test } from "bun:test";
import { SseParser } from "../../src/console/sse-parser.ts";

describe("server-sent events parser", () => {
  test("the broker's stream: comment, retry, then record events with ids", () => {
    const p = new SseParser();
    const text = ': streaming from offset 0\nretry: 1000\n\nid: 0\nevent: record\ndata: {"offset":0}\n\nid: 1\nevent: record\ndata: {"offset":1}\n\n';
    expect(p.push(text)).toEqual([
      { event: "record", data: '{"offset":0}', id: "0" },
      { event: "record", data: '{"offset":1}', id: "1" },
    ]);
  });

  test("events split across chunks anywhere, CRLF lines, multi-line data", () => {
    const p = new SseParser();
    const text = "event: record\r\ndata: a\r\ndata: b\r\n\r\ndata:c\n\n";
    const out = [];
    for (const ch of text) out.push(...p.push(ch));
    expect(out).toEqual([
      { event: "record", data: "a\nb", id: null },
      { event: "message", data: "c", id: null },
    ]);
  });

  test("an event without data is not dispatched; the id carries over", () => {
    const p = new SseParser();
    expect(p.push("id: 7\nevent: x\n\ndata: y\n\n")).toEqual([{ event: "message", data: "y", id: "7" }]);
    expect(p.push("data: partial")).toEqual([]);
  });
});
