/** The fake disk really loses what was not flushed, or the crash tests would prove nothing. */
import { expect, test } from "bun:test";
import { SeededRandom } from "../../src/cluster/quorum/prng.ts";
import type { Entry } from "../../src/cluster/quorum/types.ts";
import { SimDisk } from "./harness/sim-disk.ts";

const entry = (offset: number, epoch = 1): Entry => ({ offset, epoch, kind: "data", payload: new Uint8Array([offset]) });
const quiet = { appended: () => {}, truncated: () => {} };

test("a crash keeps the flushed log and state and loses a truncation that was not flushed", () => {
  const disk = new SimDisk(quiet);
  disk.log.append([entry(0), entry(1), entry(2)]);
  disk.log.flush();
  disk.persistState({ epoch: 3, leaderId: null, votedId: 2, votedDirectoryId: "d2" });
  disk.log.truncateTo(1);
  disk.log.append([entry(1, 2)]);
  disk.crash(new SeededRandom(1));
  expect(disk.log.read(0, 10).map((e) => [e.offset, e.epoch])).toEqual([[0, 1], [1, 1], [2, 1]]);
  expect(disk.durableState.votedId).toBe(2);
});

test("unflushed appends survive a crash only as a prefix, and over many crashes every prefix length occurs", () => {
  const random = new SeededRandom(9);
  const survivors = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const disk = new SimDisk(quiet);
    disk.log.append([entry(0)]);
    disk.log.flush();
    disk.log.append([entry(1), entry(2), entry(3)]);
    disk.crash(random);
    const end = disk.log.endOffset();
    expect(disk.log.read(0, end).map((e) => e.offset)).toEqual([...Array(end).keys()]);
    survivors.add(end);
  }
  expect([...survivors].sort()).toEqual([1, 2, 3, 4]);
});

test("a snapshot and the trim it allows are lost together when not flushed", () => {
  const disk = new SimDisk(quiet);
  disk.log.append([entry(0), entry(1)]);
  disk.log.flush();
  const id = { endOffset: 2, epoch: 1 };
  disk.log.createSnapshot(id, new Uint8Array([1]));
  disk.log.trimPrefix(id);
  disk.crash(new SeededRandom(2));
  expect([disk.log.startOffset(), disk.log.endOffset(), disk.log.latestSnapshot()]).toEqual([0, 2, null]);
});

test("appends that survived one crash are on the device for the next", () => {
  const random = new SeededRandom(3);
  const disk = new SimDisk(quiet);
  let end = 0;
  for (let round = 0; round < 50; round++) {
    disk.log.append([entry(end), entry(end + 1)]);
    disk.crash(random);
    expect(disk.log.endOffset()).toBeGreaterThanOrEqual(end);
    end = disk.log.endOffset();
  }
  expect(end).toBeGreaterThan(0);
});
