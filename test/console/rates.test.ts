import { describe, expect, test } from "bun:test";
import { clusterRatesBetween, clusterScrapeOf, pushBounded, ratesBetween, scrapeOf } from "../../src/console/rates.ts";

const metrics = (produced: Record<string, number>, consumed: number): string =>
  [
    ...Object.entries(produced).map(([t, v]) => `streamnest_messages_produced_total{topic="${t}"} ${v}`),
    `streamnest_messages_consumed_total{topic="a"} ${consumed}`,
  ].join("\n");

describe("rates from successive scrapes", () => {
  test("increase over the seconds between scrapes, per topic too", () => {
    const before = scrapeOf(metrics({ a: 100, b: 10 }, 50), 1000);
    const after = scrapeOf(metrics({ a: 300, b: 10, c: 40 }, 150), 3000);
    const rates = ratesBetween(before, after);
    expect(rates?.producedPerSec).toBe(120);
    expect(rates?.consumedPerSec).toBe(50);
    expect([...(rates?.producedPerSecByTopic ?? [])]).toEqual([
      ["a", 100],
      ["b", 0],
      ["c", 20],
    ]);
  });

  test("a counter reset (broker restart) counts from zero", () => {
    const rates = ratesBetween(scrapeOf(metrics({ a: 500 }, 500), 0), scrapeOf(metrics({ a: 20 }, 10), 2000));
    expect(rates?.producedPerSec).toBe(10);
    expect(rates?.consumedPerSec).toBe(5);
  });

  test("no rate from scrapes at the same time or out of order", () => {
    const s = scrapeOf(metrics({ a: 1 }, 1), 1000);
    expect(ratesBetween(s, s)).toBeNull();
    expect(ratesBetween(s, scrapeOf(metrics({ a: 2 }, 2), 500))).toBeNull();
  });

  test("sparkline values are bounded", () => {
    expect(pushBounded([1, 2, 3], 4, 3)).toEqual([2, 3, 4]);
    expect(pushBounded([], 1, 3)).toEqual([1]);
  });
});

describe("cluster rates from GET /cluster/metrics", () => {
  const counters = (produced: number, consumed: number, byTopic: Record<string, number>, disk: number) => ({
    produced_total: produced,
    consumed_total: consumed,
    bytes_in_total: 0,
    bytes_out_total: 0,
    produced_by_topic: byTopic,
    consumed_by_topic: {},
    disk_bytes: disk,
    partition_logs: 1,
  });
  const answer = (rows: Array<[number, ReturnType<typeof counters> | null]>) => ({
    broker: 1,
    brokers: rows.map(([id, metrics]) => ({ id, address: `h:${id}`, self: id === 1, alive: metrics !== null, error: metrics === null ? "down" : null, metrics })),
  });

  test("each broker's increase, added up; per broker and per topic too; disk per broker", () => {
    const before = clusterScrapeOf(answer([[1, counters(100, 10, { a: 100 }, 5)], [2, counters(50, 0, { a: 20, b: 30 }, 7)]]), 0);
    const after = clusterScrapeOf(answer([[1, counters(300, 30, { a: 300 }, 6)], [2, counters(90, 20, { a: 20, b: 70 }, 9)]]), 2000);
    expect([...after.diskBytes]).toEqual([
      [1, 6],
      [2, 9],
    ]);
    const rates = clusterRatesBetween(before, after);
    expect(rates?.producedPerSec).toBe(120);
    expect(rates?.consumedPerSec).toBe(20);
    expect([...(rates?.producedPerSecByTopic ?? [])]).toEqual([
      ["a", 100],
      ["b", 20],
    ]);
    expect([...(rates?.byBroker ?? [])]).toEqual([
      [1, { producedPerSec: 100, consumedPerSec: 10 }],
      [2, { producedPerSec: 20, consumedPerSec: 10 }],
    ]);
  });

  test("a broker that stops answering drops out of the sum instead of looking like a reset", () => {
    const before = clusterScrapeOf(answer([[1, counters(100, 0, {}, 0)], [2, counters(1_000_000, 0, {}, 0)]]), 0);
    const after = clusterScrapeOf(answer([[1, counters(200, 0, {}, 0)], [2, null]]), 1000);
    const rates = clusterRatesBetween(before, after);
    expect(rates?.producedPerSec).toBe(100);
    expect([...(rates?.byBroker.keys() ?? [])]).toEqual([1]);
    expect(clusterRatesBetween(after, after)).toBeNull();
  });
});
