import { describe, expect, test } from "bun:test";
import { awaitHighWatermark, isHighWatermarkPending, setHighWatermarkPending } from "../../src/broker/high-watermark-pending.ts";
import type { PartitionState } from "../../src/broker/topic-catalog.ts";

const partition = (): PartitionState =>
  ({ partition: 0, dir: "/nowhere", keepOpen: false, closed: undefined, unopenedSegments: undefined }) as unknown as PartitionState;

describe("a leader's high watermark not yet known", () => {
  test("a read waits until it is known, and at once when it is", async () => {
    const ps = partition();
    expect(await awaitHighWatermark(ps, 1000, [])).toBe(true);
    setHighWatermarkPending(ps, true);
    expect(isHighWatermarkPending(ps)).toBe(true);
    const started = performance.now();
    const waiting = awaitHighWatermark(ps, 5000, []);
    setTimeout(() => setHighWatermarkPending(ps, false), 50);
    expect(await waiting).toBe(true);
    expect(performance.now() - started).toBeLessThan(4000);
    expect(isHighWatermarkPending(ps)).toBe(false);
  });

  test("the wait is bounded, ends with its signal, and goes on through a mark cleared and set again at once", async () => {
    const ps = partition();
    setHighWatermarkPending(ps, true);
    expect(await awaitHighWatermark(ps, 30, [])).toBe(false);
    const stop = new AbortController();
    const stopped = awaitHighWatermark(ps, 60_000, [stop.signal]);
    stop.abort();
    expect(await stopped).toBe(false);
    // Leadership dropped and taken up again in one step: still not known.
    const through = awaitHighWatermark(ps, 200, []);
    setHighWatermarkPending(ps, false);
    setHighWatermarkPending(ps, true);
    expect(await through).toBe(false);
    setHighWatermarkPending(ps, false);
    expect(await awaitHighWatermark(ps, 0, [])).toBe(true);
  });
});
