import { expect, test } from "bun:test";
import { acknowledgedWrites, longestQuietWindows, type AcknowledgedWrite, type FaultEvent } from "../../../scripts/chaos/availability.ts";
import { failed, ok, unknown } from "./history-builders.ts";

const kill: FaultEvent = { kind: "kill", start: 20, end: 40, target: "broker 2" };
const cut: FaultEvent = { kind: "partition", start: 60, end: 70, target: "1<->2" };
const pause: FaultEvent = { kind: "pause", start: 90 };

function acks(partition: number, times: number[]): AcknowledgedWrite[] {
  return times.map((at) => ({ topic: "t", partition, at }));
}

const p0 = { topic: "t", partition: 0 };
const p1 = { topic: "t", partition: 1 };

test("per fault kind, the longest window without an ack on any partition that overlaps such a fault", () => {
  const result = longestQuietWindows({
    run: { start: 0, end: 100 },
    partitions: [p0, p1],
    faults: [kill, cut, pause],
    acks: [...acks(0, [95, 10, 15, 50, 55, 80]), ...acks(1, [5, 30, 45, 85])],
  });
  expect(result).toEqual({
    byKind: {
      kill: { ...p0, from: 15, to: 50, ms: 35, fault: kill },
      partition: { ...p1, from: 45, to: 85, ms: 40, fault: cut },
      // A fault still on at the end lasts to the end; of two equal windows the first partition's is kept.
      pause: { ...p0, from: 80, to: 95, ms: 15, fault: pause },
    },
    outsideFaults: { ...p0, from: 0, to: 10, ms: 10 },
  });
});

test("a partition that never accepted a write is quiet for the whole run, under every fault", () => {
  const p2 = { topic: "t", partition: 2 };
  const result = longestQuietWindows({
    run: { start: 0, end: 100 },
    partitions: [p0, p2],
    faults: [kill, cut, pause],
    acks: acks(0, [10, 15, 50, 55, 80, 95]),
  });
  expect(result.byKind).toEqual({
    kill: { ...p2, from: 0, to: 100, ms: 100, fault: kill },
    partition: { ...p2, from: 0, to: 100, ms: 100, fault: cut },
    pause: { ...p2, from: 0, to: 100, ms: 100, fault: pause },
  });
  expect(result.outsideFaults).toEqual({ ...p0, from: 0, to: 10, ms: 10 });
});

test("a window that only touches a fault's start or end is not the fault's", () => {
  const result = longestQuietWindows({
    run: { start: 0, end: 100 },
    partitions: [],
    faults: [kill],
    acks: acks(0, [-5, 10, 20, 40, 50, 150]),
  });
  expect(result).toEqual({
    byKind: { kill: { ...p0, from: 20, to: 40, ms: 20, fault: kill } },
    outsideFaults: { ...p0, from: 50, to: 100, ms: 50 },
  });
});

test("a window ending as a fault starts, or starting as it ends, is outside it", () => {
  const result = longestQuietWindows({ run: { start: 0, end: 100 }, partitions: [p0], faults: [kill], acks: acks(0, [20, 30, 40]) });
  expect(result).toEqual({
    byKind: { kill: { ...p0, from: 20, to: 30, ms: 10, fault: kill } },
    outsideFaults: { ...p0, from: 40, to: 100, ms: 60 },
  });
});

test("a fault never healed covers the rest of the run", () => {
  const since50: FaultEvent = { kind: "pause", start: 50 };
  const result = longestQuietWindows({ run: { start: 0, end: 100 }, partitions: [p0], faults: [since50], acks: acks(0, [10, 45, 55]) });
  expect(result).toEqual({
    byKind: { pause: { ...p0, from: 55, to: 100, ms: 45, fault: since50 } },
    outsideFaults: { ...p0, from: 10, to: 45, ms: 35 },
  });
});

test("with no partition there is nothing to report, faults or not", () => {
  expect(longestQuietWindows({ run: { start: 0, end: 10 }, partitions: [], faults: [kill], acks: [] })).toEqual({ byKind: {}, outsideFaults: null });
});

test("the acknowledged writes of a history are its ok attempts at their completion times", () => {
  const attempts = [ok("a1", "v1", 1, 0, { endedAt: 12 }), failed("a2", "v2", { endedAt: 13 }), unknown("a3", "v3", { endedAt: 14 }), ok("a4", "v4", 0, 7, { endedAt: 15 })];
  expect(acknowledgedWrites(attempts)).toEqual([
    { topic: "t", partition: 1, at: 12 },
    { topic: "t", partition: 0, at: 15 },
  ]);
});
