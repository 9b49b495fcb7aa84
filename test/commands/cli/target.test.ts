import { describe, expect, test } from "bun:test";
import { parsePartition } from "../../../src/commands/cli/target.ts";

const three = [0, 1, 2].map((partition) => ({ partition, broker: "localhost:1" }));

describe("parsePartition", () => {
  test("accepts a partition of the topic, with spaces around it", () => {
    expect(parsePartition("0", three)).toBe(0);
    expect(parsePartition(" 2 ", three)).toBe(2);
  });

  test("says why anything else is not a partition", () => {
    expect(parsePartition("abc", three)).toBe('"abc" is not a partition number (partitions are 0 to 2)');
    expect(parsePartition("", three)).toBe('"" is not a partition number (partitions are 0 to 2)');
    expect(parsePartition("-1", three)).toBe('"-1" is not a partition number (partitions are 0 to 2)');
    expect(parsePartition("1.5", three)).toBe('"1.5" is not a partition number (partitions are 0 to 2)');
    expect(parsePartition("3", three)).toBe("there is no partition 3 (partitions are 0 to 2)");
    expect(parsePartition("7", three.slice(0, 1))).toBe("there is no partition 7 (the only partition is 0)");
  });
});
