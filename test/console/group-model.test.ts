import { describe, expect, test } from "bun:test";
import { boundsOf, canReset, lagByTopic, partitionKey, resetTargets, totalLag } from "../../src/console/group-model.ts";
import type { GroupAnswer, TopicAnswer } from "../../src/console/types.ts";

const group = (name: string, parts: Array<[string, number, number | null]>, members = 0): GroupAnswer => ({
  group: name,
  state: members === 0 ? "Empty" : "Stable",
  generation: 1,
  assignor: "range",
  coordinator: { id: 1, address: "localhost:8080" },
  members: Array.from({ length: members }, (_, i) => ({
    member_id: `m${i}`,
    client_id: "c",
    topics: [],
    session_timeout_ms: 10000,
    auto_offset_reset: "earliest",
    assignments: [],
    last_seen: 0,
  })),
  partitions: parts.map(([topic, partition, lag]) => ({ topic, partition, member_id: null, committed_offset: 0, end_offset: 0, lag })),
});

const topic = (name: string, bounds: Array<[number, number] | null>): TopicAnswer => ({
  topic: name,
  created_at: 0,
  schema_version: null,
  partitions: bounds.map((b, partition) => ({
    partition,
    leader: 1,
    replicas: [1],
    leader_epoch: 0,
    broker: "localhost:8080",
    ...(b === null ? {} : { start_offset: b[0], end_offset: b[1] }),
  })),
});

describe("group lag", () => {
  test("total lag skips unknown partitions, null when none is known", () => {
    expect(totalLag(group("g", [["a", 0, 5], ["a", 1, null], ["b", 0, 2]]).partitions)).toBe(7);
    expect(totalLag(group("g", [["a", 0, null]]).partitions)).toBeNull();
    expect(totalLag([])).toBeNull();
  });

  test("per topic, each group reading it with its lag", () => {
    const out = lagByTopic([group("zeta", [["a", 0, 1], ["a", 1, 2]]), group("alpha", [["a", 0, 10], ["b", 0, null]])]);
    expect([...out]).toEqual([
      ["a", [{ group: "alpha", lag: 10 }, { group: "zeta", lag: 3 }]],
      ["b", [{ group: "alpha", lag: null }]],
    ]);
  });
});

describe("offset reset", () => {
  const bounds = boundsOf([topic("a", [[0, 100], [50, 60]]), topic("b", [null])]);
  const parts = [
    { topic: "a", partition: 0 },
    { topic: "a", partition: 1 },
  ];

  test("bounds of the partitions whose offsets are known", () => {
    expect([...bounds]).toEqual([
      [partitionKey("a", 0), { start: 0, end: 100 }],
      [partitionKey("a", 1), { start: 50, end: 60 }],
    ]);
  });

  test("earliest, latest, and an offset clamped into each partition", () => {
    expect(resetTargets(parts, "earliest", bounds)).toEqual({ targets: [{ topic: "a", partition: 0, offset: 0 }, { topic: "a", partition: 1, offset: 50 }] });
    expect(resetTargets(parts, "latest", bounds)).toEqual({ targets: [{ topic: "a", partition: 0, offset: 100 }, { topic: "a", partition: 1, offset: 60 }] });
    expect(resetTargets(parts, "offset", bounds, 55)).toEqual({ targets: [{ topic: "a", partition: 0, offset: 55 }, { topic: "a", partition: 1, offset: 55 }] });
    expect(resetTargets(parts, "offset", bounds, 70)).toEqual({ targets: [{ topic: "a", partition: 0, offset: 70 }, { topic: "a", partition: 1, offset: 60 }] });
  });

  test("a partition with unknown offsets refuses the whole reset", () => {
    expect(resetTargets([{ topic: "b", partition: 0 }], "earliest", bounds)).toEqual({ error: "the offsets of b partition 0 are unknown (is its leader down?)" });
  });

  test("only a group without members may be reset", () => {
    expect(canReset(group("g", []))).toBe(true);
    expect(canReset(group("g", [], 1))).toBe(false);
  });
});
