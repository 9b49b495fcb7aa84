import { describe, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { GROUP_LIMITS } from "../../src/config/core.ts";
import { type GroupStat, registerGroupMetrics } from "../../src/metrics/group-metrics.ts";

/** The sample lines of a Prometheus text exposition (no HELP/TYPE comments). */
function samples(text: string): string[] {
  return text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
}

describe("registerGroupMetrics", () => {
  test("exposes members, generation, committed offsets and lag per group, skipping unknowns", async () => {
    const registry = new Registry();
    const stats: GroupStat[] = [
      {
        group: "g1",
        members: 2,
        generation: 5,
        partitions: [
          { topic: "t", partition: 0, committedOffset: 10, lag: 3 },
          { topic: "t", partition: 1, committedOffset: null, lag: null },
        ],
      },
      { group: "g2", members: 0, generation: 1, partitions: [{ topic: "u", partition: 2, committedOffset: 4, lag: null }] },
    ];
    registerGroupMetrics(registry, async () => stats);
    expect(samples(await registry.metrics())).toEqual([
      'streamnest_group_members{group="g1"} 2',
      'streamnest_group_members{group="g2"} 0',
      'streamnest_group_generation{group="g1"} 5',
      'streamnest_group_generation{group="g2"} 1',
      'streamnest_group_committed_offset{group="g1",topic="t",partition="0"} 10',
      'streamnest_group_committed_offset{group="g2",topic="u",partition="2"} 4',
      'streamnest_group_lag{group="g1",topic="t",partition="0"} 3',
    ]);
  });

  test("one scrape asks the source once; a later scrape sees groups gone", async () => {
    const registry = new Registry();
    let calls = 0;
    let current: GroupStat[] = [{ group: "g", members: 1, generation: 1, partitions: [] }];
    registerGroupMetrics(registry, async () => {
      calls++;
      return current;
    });
    expect(samples(await registry.metrics())).toEqual(['streamnest_group_members{group="g"} 1', 'streamnest_group_generation{group="g"} 1']);
    expect(calls).toBe(1);
    current = [];
    await Bun.sleep(GROUP_LIMITS.metricsSnapshotTtlMs.value + 50);
    expect(samples(await registry.metrics())).toEqual([]);
    expect(calls).toBe(2);
  });

  test("a source that fails yields no series, not a failed scrape", async () => {
    const registry = new Registry();
    registerGroupMetrics(registry, async () => {
      throw new Error("coordinator gone");
    });
    const text = await registry.metrics();
    expect(samples(text)).toEqual([]);
    expect(text).toContain("# TYPE streamnest_group_lag gauge");
  });
});
