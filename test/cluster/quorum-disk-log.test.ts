import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QuorumDiskLog } from "../../src/cluster/quorum-disk-log.ts";
import type { Entry } from "../../src/cluster/quorum/types.ts";

const dirs: string[] = [];
const open: QuorumDiskLog[] = [];
afterEach(async () => {
  for (const log of open.splice(0)) await log.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fresh(): string {
  const dir = mkdtempSync(join(tmpdir(), "quorum-disk-log-"));
  dirs.push(dir);
  return dir;
}

function openLog(dir: string): QuorumDiskLog {
  const log = QuorumDiskLog.open(dir);
  open.push(log);
  return log;
}

async function reopen(dir: string, log: QuorumDiskLog): Promise<QuorumDiskLog> {
  await log.close();
  open.splice(open.indexOf(log), 1);
  return openLog(dir);
}

const entry = (offset: number, epoch: number, kind: Entry["kind"] = "data"): Entry => ({
  offset,
  epoch,
  kind,
  payload: new TextEncoder().encode(`e${offset}`),
});

describe("QuorumDiskLog", () => {
  test("what persist() wrote comes back on reopen: offsets, epochs, kinds and payloads", async () => {
    const dir = fresh();
    let log = openLog(dir);
    log.append([entry(0, 1, "leader-change"), entry(1, 1), entry(2, 2, "leader-change"), entry(3, 2)]);
    await log.persist();
    log = await reopen(dir, log);
    expect([log.startOffset(), log.endOffset(), log.lastEpoch()]).toEqual([0, 4, 2]);
    expect(log.read(0, 10)).toEqual([entry(0, 1, "leader-change"), entry(1, 1), entry(2, 2, "leader-change"), entry(3, 2)]);
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 2 });
  });

  test("nothing appended after the last persist survives a reopen", async () => {
    const dir = fresh();
    let log = openLog(dir);
    log.append([entry(0, 1), entry(1, 1)]);
    await log.persist();
    log.append([entry(2, 1)]);
    expect(log.dirty).toBe(true);
    log = await reopen(dir, log);
    expect(log.endOffset()).toBe(2);
  });

  test("a truncation and the entries after it reach the disk in order", async () => {
    const dir = fresh();
    let log = openLog(dir);
    log.append([entry(0, 1), entry(1, 1), entry(2, 1)]);
    await log.persist();
    log.truncateTo(1);
    log.append([entry(1, 3), entry(2, 3)]);
    await log.persist();
    log = await reopen(dir, log);
    expect(log.read(0, 10).map((e) => [e.offset, e.epoch])).toEqual([[0, 1], [1, 3], [2, 3]]);
  });

  test("a snapshot trims the prefix; the log restarts at it on disk once nothing lies past it", async () => {
    const dir = fresh();
    let log = openLog(dir);
    log.append([entry(0, 1), entry(1, 1), entry(2, 2)]);
    await log.persist();
    log.createSnapshot({ endOffset: 2, epoch: 1 }, new TextEncoder().encode("state@2"));
    log.trimPrefix({ endOffset: 2, epoch: 1 });
    await log.persist();
    log = await reopen(dir, log);
    expect([log.startOffset(), log.endOffset()]).toEqual([2, 3]);
    expect(log.latestSnapshot()).toEqual({ endOffset: 2, epoch: 1 });
    expect(new TextDecoder().decode(log.readSnapshot({ endOffset: 2, epoch: 1 })!)).toBe("state@2");
    expect(log.epochAt(1)).toBe(1);

    log.createSnapshot({ endOffset: 3, epoch: 2 }, new TextEncoder().encode("state@3"));
    log.trimPrefix({ endOffset: 3, epoch: 2 });
    await log.persist();
    // Only the newest snapshot file is kept.
    expect(readdirSync(dir).filter((f) => f.endsWith(".snapshot"))).toEqual(["00000000000000000003-2.snapshot"]);
    log = await reopen(dir, log);
    expect([log.startOffset(), log.endOffset(), log.lastEpoch()]).toEqual([3, 3, 2]);
    log.append([entry(3, 2)]);
    await log.persist();
    log = await reopen(dir, log);
    expect(log.read(3, 5).map((e) => e.offset)).toEqual([3]);
  });

  test("an installed snapshot replaces the whole log", async () => {
    const dir = fresh();
    let log = openLog(dir);
    log.append([entry(0, 1), entry(1, 1)]);
    await log.persist();
    log.installSnapshot({ endOffset: 10, epoch: 4 }, new TextEncoder().encode("leader's"));
    log.append([entry(10, 4)]);
    await log.persist();
    log = await reopen(dir, log);
    expect([log.startOffset(), log.endOffset(), log.epochAt(9)]).toEqual([10, 11, 4]);
    expect(existsSync(join(dir, "00000000000000000010-4.snapshot"))).toBe(true);
  });

  test("flush() refuses: the driver must await persist()", () => {
    const log = openLog(fresh());
    expect(() => log.flush()).toThrow(/persist\(\)/);
  });
});
