import { describe, expect, test } from "bun:test";
import { applyChange, emptyMetadata, type MetadataDocument } from "../../src/broker/metadata.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

const brokers = [
  { id: 1, address: "a:1" },
  { id: 2, address: "b:2" },
];

function withTopic(): MetadataDocument {
  return applyChange(emptyMetadata(brokers), {
    type: "create-topic",
    topic: "demo",
    topicId: "id-1",
    partitions: [
      { partition: 0, replicas: [1], leader: 1, leaderEpoch: 0 },
      { partition: 1, replicas: [2], leader: 2, leaderEpoch: 3 },
    ],
    createdAt: 5,
  }).document;
}

const grow = (first: number, count: number, topicId = "id-1") => ({
  type: "create-partitions" as const,
  topic: "demo",
  topicId,
  partitions: Array.from({ length: count }, (_, i) => ({ partition: first + i, replicas: [((first + i) % 2) + 1], leader: ((first + i) % 2) + 1, leaderEpoch: 0 })),
});

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof StreamNestError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return "no error";
}

describe("create-partitions", () => {
  test("appends the new partitions after the existing ones, which keep their assignment; the version moves by one", () => {
    const doc = withTopic();
    const { document, changed } = applyChange(doc, grow(2, 2));
    expect(changed).toBe(true);
    expect(document.version).toBe(doc.version + 1);
    expect(document.topics.get("demo")?.partitions).toEqual([
      { partition: 0, replicas: [1], leader: 1, leaderEpoch: 0 },
      { partition: 1, replicas: [2], leader: 2, leaderEpoch: 3 },
      { partition: 2, replicas: [1], leader: 1, leaderEpoch: 0 },
      { partition: 3, replicas: [2], leader: 2, leaderEpoch: 0 },
    ]);
    expect(document.topics.get("demo")?.id).toBe("id-1");
    // The old document is untouched (changes build new snapshots).
    expect(doc.topics.get("demo")?.partitions.length).toBe(2);
  });

  test("the same change applied again is already in effect", () => {
    const once = applyChange(withTopic(), grow(2, 2)).document;
    const again = applyChange(once, grow(2, 2));
    expect(again.changed).toBe(false);
    expect(again.document).toBe(once);
  });

  test("a change computed from an older count (a concurrent grow won) is refused and changes nothing", () => {
    const grown = applyChange(withTopic(), grow(2, 3)).document;
    expect(failure(() => applyChange(grown, grow(2, 1)))).toBe(
      'INVALID_PARTITIONS: topic "demo" has 5 partitions; new ones must start at partition 5, not 2',
    );
    expect(failure(() => applyChange(withTopic(), grow(3, 1)))).toBe(
      'INVALID_PARTITIONS: topic "demo" has 2 partitions; new ones must start at partition 2, not 3',
    );
  });

  test("another incarnation of the topic, an unknown topic, or partitions out of order are refused", () => {
    expect(failure(() => applyChange(withTopic(), grow(2, 1, "id-0")))).toBe('TOPIC_NOT_FOUND: topic "demo" (id id-0) does not exist');
    expect(failure(() => applyChange(emptyMetadata(brokers), grow(0, 1)))).toBe('TOPIC_NOT_FOUND: topic "demo" (id id-1) does not exist');
    const shuffled = { ...grow(2, 2), partitions: [...grow(2, 2).partitions].reverse() };
    expect(failure(() => applyChange(withTopic(), shuffled))).toBe('INVALID_PARTITIONS: new partitions of "demo" must be numbered in order');
    expect(failure(() => applyChange(withTopic(), { ...grow(2, 1), partitions: [] }))).toBe(
      'INVALID_PARTITIONS: new partitions of "demo" must be numbered in order',
    );
  });
});
