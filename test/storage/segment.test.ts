import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CORE_LIMITS } from "../../src/config/core.ts";
import { listSegmentBases, Segment, segmentFileName } from "../../src/storage/segment.ts";
import { tempDir } from "./fixtures/records.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function dir(): string {
  const d = tempDir("streamnest-segment-");
  cleanups.push(d.remove);
  return d.path;
}

describe("Segment", () => {
  test("file names are the base offset in 20 digits", () => {
    expect(segmentFileName(0)).toBe("00000000000000000000.log");
    expect(segmentFileName(10_000_000)).toBe("00000000000010000000.log");
    expect(segmentFileName(Number.MAX_SAFE_INTEGER)).toBe("00009007199254740991.log");
  });

  test("lists only segment files, in offset order", () => {
    const path = dir();
    for (const name of [segmentFileName(200), segmentFileName(3), segmentFileName(10), "index.sqlite", "12.log", "x.log.tmp"]) {
      writeFileSync(join(path, name), "");
    }
    expect(listSegmentBases(path)).toEqual([3, 10, 200]);
  });

  test("appends at the end and reads any byte range back", async () => {
    const path = dir();
    const segment = Segment.open(path, 5);
    expect(segment.size).toBe(0);
    expect(segment.append(Uint8Array.of(1, 2, 3))).toBe(0);
    expect(segment.append(Uint8Array.of(4, 5))).toBe(3);
    expect(segment.size).toBe(5);
    expect(segment.read(1, 3)).toEqual(Uint8Array.of(2, 3, 4));
    // A read past the end returns what there is.
    expect(segment.read(3, 10)).toEqual(Uint8Array.of(4, 5));
    await segment.flush();
    expect(segment.dirty).toBe(false);
    segment.close();
    expect(readFileSync(join(path, segmentFileName(5)))).toEqual(Buffer.from([1, 2, 3, 4, 5]));

    const reopened = Segment.open(path, 5);
    expect(reopened.size).toBe(5);
    expect(reopened.append(Uint8Array.of(6))).toBe(5);
    reopened.truncate(2);
    expect(reopened.read(0, 10)).toEqual(Uint8Array.of(1, 2));
    reopened.delete();
    expect(listSegmentBases(path)).toEqual([]);
  });

  test("closing during a flush waits for the flush", async () => {
    const path = dir();
    const segment = Segment.open(path, 0);
    segment.append(new Uint8Array(4096).fill(1));
    const flushed = segment.flush();
    segment.close();
    await flushed;
    expect(readFileSync(join(path, segmentFileName(0))).length).toBe(4096);
  });

  test("an append larger than the write staging buffer lands whole, byte for byte, in pieces", () => {
    const path = dir();
    const segment = Segment.open(path, 0);
    const staging = CORE_LIMITS.writeStagingBytes.value;
    const small = Uint8Array.of(9, 8, 7);
    // Two and a half buffers' worth, each byte from its position, so a piece written at the
    // wrong place or twice shows.
    const big = new Uint8Array(staging * 2 + staging / 2 + 3).map((_, i) => (i * 131 + (i >>> 16)) & 0xff);
    expect(segment.append(small)).toBe(0);
    expect(segment.append(big)).toBe(3);
    expect(segment.append(small)).toBe(3 + big.length);
    const file = new Uint8Array(readFileSync(join(path, segmentFileName(0))));
    expect(file.length).toBe(big.length + 6);
    expect(Buffer.compare(file.subarray(3, 3 + big.length), big)).toBe(0);
    expect([...file.subarray(0, 3), ...file.subarray(3 + big.length)]).toEqual([9, 8, 7, 9, 8, 7]);
    // The buffer is reused, not a view that later appends change: the bytes read back stay.
    expect(Buffer.compare(segment.read(3, big.length), big)).toBe(0);
  });
});
