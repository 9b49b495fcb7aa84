import { describe, expect, test } from "bun:test";
import { partitionOptions } from "../../src/console/partition-choice.ts";

describe("the partition dropdown", () => {
  test("lists the topic's partitions", () => {
    expect(partitionOptions([0, 1], 1)).toEqual([
      { value: 0, label: "0" },
      { value: 1, label: "1" },
    ]);
  });

  test("a partition the topic lacks is listed, marked, so the dropdown names the partition the error names", () => {
    expect(partitionOptions([0, 1], 5)).toEqual([
      { value: 0, label: "0" },
      { value: 1, label: "1" },
      { value: 5, label: "5 (no such partition)" },
    ]);
    expect(partitionOptions([2, 3], 0)).toEqual([
      { value: 0, label: "0 (no such partition)" },
      { value: 2, label: "2" },
      { value: 3, label: "3" },
    ]);
  });
});
