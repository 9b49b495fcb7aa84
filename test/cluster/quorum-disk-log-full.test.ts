import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { QuorumDiskLog } from "../../src/cluster/quorum-disk-log.ts";
import type { Entry } from "../../src/cluster/quorum/types.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { canMountSmallDisk, fillDisk, freeDisk, mountSmallDisk } from "../storage/fixtures/small-disk.ts";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const entry = (offset: number, bytes: number): Entry => ({ offset, epoch: 1, kind: "data", payload: new Uint8Array(bytes).fill(offset + 1) });

test.skipIf(!canMountSmallDisk)("a persist that fails on a full disk stays owed: once space is freed the next persist writes it, and a reopen reads it", async () => {
  const disk = mountSmallDisk(1024 * 1024);
  if (disk === null) throw new Error("mounting a tmpfs failed after it had worked");
  cleanups.push(disk.unmount);
  const dir = join(disk.path, "log");
  let log = QuorumDiskLog.open(dir);
  cleanups.push(() => log.close());
  log.append([entry(0, 100)]);
  await log.persist();
  const filler = fillDisk(disk.path);
  log.append([entry(1, 64 * 1024)]);
  let failure: unknown;
  await log.persist().catch((error: unknown) => {
    failure = error;
  });
  expect(failure).toBeInstanceOf(StreamNestError);
  expect((failure as StreamNestError).code).toBe("STORAGE_FULL");
  expect(log.dirty).toBe(true);
  freeDisk(filler);
  await log.persist();
  expect(log.dirty).toBe(false);
  await log.close();
  log = QuorumDiskLog.open(dir);
  expect(log.read(0, 10).map((e) => [e.offset, e.payload.byteLength])).toEqual([[0, 100], [1, 64 * 1024]]);
});
