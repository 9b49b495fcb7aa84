import { describe, expect, test } from "bun:test";
import { pushBounded, ratesBetween, scrapeOf } from "../../src/console/rates.ts";

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
