import { expect, test } from "bun:test";
import { startInSlices } from "../../src/lib/sliced-start.ts";

test("starts every item in order, a slice per turn, and answers in order", async () => {
  const events: string[] = [];
  // A setImmediate queued before the slices run first only after the first slice started.
  setImmediate(() => events.push("other work"));
  const results = await startInSlices([1, 2, 3, 4, 5], 2, async (n) => {
    events.push(`start ${n}`);
    await Promise.resolve();
    return n * 10;
  });
  expect(results).toEqual([10, 20, 30, 40, 50]);
  expect(events).toEqual(["start 1", "start 2", "other work", "start 3", "start 4", "start 5"]);
});

test("no items: no turn waited, an empty answer", async () => {
  expect(await startInSlices([], 3, async () => 1)).toEqual([]);
});
