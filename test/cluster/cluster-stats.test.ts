import { describe, expect, test } from "bun:test";
import { encodeAllOffsets, parseAllOffsets, parseBrokerStats } from "../../src/cluster/cluster-stats.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

const stats = {
  produced: 5,
  consumed: 2,
  bytesIn: 40,
  bytesOut: 16,
  producedByTopic: { a: 5 },
  consumedByTopic: { a: 2 },
  diskBytes: 4096,
  partitionLogs: 2,
};

describe("the wire of the stats and all-offsets routes", () => {
  test("a peer's stats are read field by field", () => {
    expect(parseBrokerStats(JSON.parse(JSON.stringify(stats)))).toEqual(stats);
  });

  test("a malformed answer is an error naming it, never a number made up", () => {
    for (const bad of [null, "x", { ...stats, produced: -1 }, { ...stats, diskBytes: "1" }, { ...stats, producedByTopic: { a: 1.5 } }, { ...stats, consumedByTopic: [] }]) {
      const attempt = () => parseBrokerStats(bad);
      expect(attempt).toThrow(StreamNestError);
      expect(attempt).toThrow("malformed");
    }
  });

  test("all offsets round-trip by topic; a bad range is refused", () => {
    const ranges = new Map([
      ["a", [{ partition: 0, startOffset: 0, endOffset: 3, sizeBytes: 120 }]],
      ["b", [{ partition: 1, startOffset: 2, endOffset: 2, sizeBytes: 0 }]],
    ]);
    const wire = JSON.parse(JSON.stringify(encodeAllOffsets(ranges)));
    expect(wire).toEqual({ topics: { a: ranges.get("a"), b: ranges.get("b") } });
    expect(parseAllOffsets(wire)).toEqual(ranges);
    expect(() => parseAllOffsets({ topics: { a: [{ partition: 0, startOffset: 0, endOffset: "3", sizeBytes: 1 }] } })).toThrow("malformed");
    expect(() => parseAllOffsets({ topics: [] })).toThrow("malformed");
    expect(() => parseAllOffsets({})).toThrow("malformed");
  });
});
