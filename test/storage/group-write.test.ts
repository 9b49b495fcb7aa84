import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FrameBatchBuilder } from "../../src/storage/frame-batch.ts";
import { PartitionLog } from "../../src/storage/index.ts";

/** A batch's buffer is handed back once written (releaseBatches), unless the tail cache keeps it. */

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function openLog(): PartitionLog {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-group-write-"));
  dirs.push(dir);
  return PartitionLog.open(dir, { fsync: "never" });
}

/** `count` records of `valueBytes`, laid out in a buffer the test hands out and counts back. */
function batch(count: number, valueBytes: number) {
  const given: Uint8Array[] = [];
  const memory = { take: (n: number) => new Uint8Array(n), give: (b: Uint8Array) => void given.push(b) };
  const builder = new FrameBatchBuilder(count * (valueBytes + 40), count, memory);
  const src = Buffer.alloc(valueBytes, 7);
  for (let i = 0; i < count; i++) builder.add(1_700_000_000_000 + i, src, 0, -1, 0, valueBytes, null);
  return { frames: builder.finish(), given };
}

describe("releaseBatches", () => {
  test("a batch larger than the tail cache is given back once written, and reads back from the files", async () => {
    const log = openLog();
    const { frames, given } = batch(20_000, 100);
    await log.appendFrames(frames);
    expect(given.length).toBe(1);
    expect(given[0].buffer).toBe(frames.frames.buffer);
    const read = log.read(19_999, 1, 1 << 20);
    expect([read[0].offset, read[0].value?.length]).toEqual([19_999, 100]);
    log.close();
  });

  test("a batch the tail cache keeps is not given back", async () => {
    const log = openLog();
    const { frames, given } = batch(100, 100);
    await log.appendFrames(frames);
    expect(given.length).toBe(0);
    expect(log.read(0, 100, 1 << 20).length).toBe(100);
    log.close();
  });
});
