import { describe, expect, test } from "bun:test";
import { isInternalTopic, OFFSETS_TOPIC, offsetsPartitionFor } from "../../src/groups/offsets-topic.ts";
import { partitionForKey } from "../../src/lib/murmur2.ts";

describe("__consumer_offsets partition of a group", () => {
  test("is murmur2 of the group id, positive, modulo the partition count (as a key would be)", () => {
    for (let i = 0; i < 2000; i++) {
      const group = `group-${i}`;
      expect(offsetsPartitionFor(group, 12)).toBe(partitionForKey(group, 12));
      expect(offsetsPartitionFor(group, 50)).toBe(partitionForKey(group, 50));
    }
  });

  test("is the same value on every call and spreads groups over all partitions", () => {
    expect(offsetsPartitionFor("orders", 12)).toBe(offsetsPartitionFor("orders", 12));
    const used = new Set(Array.from({ length: 500 }, (_, i) => offsetsPartitionFor(`g${i}`, 12)));
    expect([...used].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  test("the internal topic is recognised by name", () => {
    expect(OFFSETS_TOPIC).toBe("__consumer_offsets");
    expect(isInternalTopic("__consumer_offsets")).toBe(true);
    expect(isInternalTopic("orders")).toBe(false);
  });
});
