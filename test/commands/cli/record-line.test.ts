import { describe, expect, test } from "bun:test";
import type { RecordView } from "../../../src/client/index.ts";
import { recordLine } from "../../../src/commands/cli/record-line.ts";

const record: RecordView = { offset: 7, key: "k", message: 'hi "there"', headers: { h: "v" }, timestamp: 1_700_000_000_123 };

describe("recordLine", () => {
  test("text: the seed's [Offset N] message, with the partition when several are followed", () => {
    expect(recordLine("demo", 2, record, "text", false)).toBe('[Offset 7] hi "there"\n');
    expect(recordLine("demo", 2, record, "text", true)).toBe('[Partition 2] [Offset 7] hi "there"\n');
  });

  test("json: one object a line, in a fixed field order", () => {
    const line = recordLine("demo", 2, record, "json", false);
    expect(line).toBe('{"topic":"demo","partition":2,"offset":7,"key":"k","message":"hi \\"there\\"","headers":{"h":"v"},"timestamp":1700000000123}\n');
    expect(recordLine("demo", 2, record, "json", true)).toBe(line);
    const multiline = recordLine("t", 0, { ...record, key: null, message: "a\nb" }, "json", false);
    expect(multiline.split("\n")).toHaveLength(2);
    expect(JSON.parse(multiline)).toEqual({ topic: "t", partition: 0, offset: 7, key: null, message: "a\nb", headers: { h: "v" }, timestamp: 1_700_000_000_123 });
  });
});
