import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { waitForAppend } from "../../src/broker/wait-for-append.ts";
import { PartitionLog } from "../../src/storage/partition-log.ts";
import { recordFor, tempDir } from "../storage/fixtures/records.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function openLog(): PartitionLog {
  const dir = tempDir("streamnest-wait-");
  const log = PartitionLog.open(join(dir.path, "w-0"), { fsync: "never" }, () => {});
  cleanups.push(dir.remove, () => log.close());
  return log;
}

/** Whether the promise has settled after the pending callbacks ran. */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await Bun.sleep(0);
  await Promise.resolve();
  return done;
}

/** Counts the append listeners registered through the log's own onAppend and not yet removed. */
function countListeners(log: PartitionLog): () => number {
  const register = log.onAppend.bind(log);
  let live = 0;
  log.onAppend = (listener) => {
    live++;
    const off = register(listener);
    return () => {
      live--;
      off();
    };
  };
  return () => live;
}

describe("waitForAppend", () => {
  test("resolves at once when the log already passes the offset, or a signal is already aborted", async () => {
    const log = openLog();
    await log.append([recordFor(0)]);
    expect(await settled(waitForAppend(log, 0, 60_000, []))).toBe(true);
    const aborted = AbortSignal.abort();
    expect(await settled(waitForAppend(log, 5, 60_000, [undefined, aborted]))).toBe(true);
  });

  test("waits for an append past the offset, not for one that stops short of it", async () => {
    const log = openLog();
    const listeners = countListeners(log);
    const waiting = waitForAppend(log, 1, Infinity, []);
    expect(await settled(waiting)).toBe(false);
    await log.append([recordFor(0)]); // end 1: offset 1 is still not there
    expect(await settled(waiting)).toBe(false);
    await log.append([recordFor(1)]);
    expect(await settled(waiting)).toBe(true);
    expect(listeners()).toBe(0);
  });

  test("an abort of any signal ends the wait, and everything registered is removed", async () => {
    const log = openLog();
    const listeners = countListeners(log);
    const a = new AbortController();
    const b = new AbortController();
    const waiting = waitForAppend(log, 0, Infinity, [a.signal, undefined, b.signal]);
    expect(listeners()).toBe(1);
    b.abort();
    expect(await settled(waiting)).toBe(true);
    expect(listeners()).toBe(0);
  });

  test("the timeout ends the wait", async () => {
    const log = openLog();
    const listeners = countListeners(log);
    const started = performance.now();
    await waitForAppend(log, 0, 30, []);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(listeners()).toBe(0);
  });
});
