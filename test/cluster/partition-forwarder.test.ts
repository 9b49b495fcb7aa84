import { expect, test } from "bun:test";
import { partitionsName } from "../../src/cluster/partition-forwarder.ts";

test("partitionsName names a few partitions per topic and counts the rest", () => {
  expect(partitionsName([{ topic: "a", partition: 1 }, { topic: "a", partition: 1 }])).toBe('partition 1 of topic "a"');
  expect(partitionsName([1, 4, 7].map((partition) => ({ topic: "a", partition })))).toBe('partitions 1, 4 and 7 of topic "a"');
  const many = Array.from({ length: 3333 }, (_, i) => ({ topic: "huge", partition: 1 + 3 * i }));
  expect(partitionsName(many)).toBe('partitions 1, 4, 7, 10, 13 and 3328 more of topic "huge"');
  const topics = ["t1", "t2", "t3", "t4", "t5"].map((topic) => ({ topic, partition: 0 }));
  expect(partitionsName(topics)).toBe(
    'partition 0 of topic "t1"; partition 0 of topic "t2"; partition 0 of topic "t3"; and partitions of 2 more topics',
  );
});
