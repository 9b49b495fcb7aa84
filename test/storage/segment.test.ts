import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CORE_LIMITS } from "../../src/config/core.ts";
import { liveMappings } from "../../src/storage/file-mapping.ts";
import { listSegmentBases, sealRolled, Segment, segmentFileName } from "../../src/storage/segment.ts";
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

  test("a sealed segment is read from a mapping of the bytes it had, byte for byte; an unsealed one never maps", () => {
    const path = dir();
    const bytes = new Uint8Array(20_000).map((_, i) => (i * 31 + (i >>> 8)) & 0xff);
    const active = Segment.open(path, 0);
    active.append(bytes);
    expect(Buffer.compare(active.read(100, 9_000), bytes.subarray(100, 9_100))).toBe(0);
    expect(active.mappedBytes).toBe(0);
    active.close();

    const sealed = Segment.open(path, 0);
    cleanups.push(() => sealed.close());
    const before = liveMappings();
    sealed.seal();
    // Mapped at the first read, not at the seal.
    expect(sealed.mappedBytes).toBe(0);
    for (const [position, length] of [[0, 1], [4095, 2], [7, 19_993], [19_999, 1]]) {
      expect(Buffer.compare(sealed.read(position, length), bytes.subarray(position, position + length))).toBe(0);
    }
    expect(sealed.mappedBytes).toBe(20_000);
    expect(liveMappings()).toBe(before + 1);
    // Into memory the caller gives: the bytes land there.
    const into = new Uint8Array(64);
    const got = sealed.read(500, 64, () => into);
    expect(got).toBe(into);
    expect([...into]).toEqual([...bytes.subarray(500, 564)]);
    // A read running past the end returns what there is (a pread, as before).
    expect(Buffer.compare(sealed.read(19_990, 50), bytes.subarray(19_990))).toBe(0);
  });

  test("bytes appended after the mapping are read by pread; truncate unmaps, then reads stop at the cut", () => {
    const path = dir();
    const first = new Uint8Array(10_000).fill(1);
    const later = new Uint8Array(3_000).fill(2);
    const segment = Segment.open(path, 0);
    cleanups.push(() => segment.close());
    segment.append(first);
    segment.seal();
    const before = liveMappings();
    expect(segment.read(0, 10).length).toBe(10);
    expect(segment.mappedBytes).toBe(10_000);
    expect(liveMappings()).toBe(before + 1);
    // A truncation back to a sealed segment's end makes it the active one again.
    segment.append(later);
    const across = segment.read(9_990, 20);
    expect([...across]).toEqual([...new Array(10).fill(1), ...new Array(10).fill(2)]);
    expect(segment.mappedBytes).toBe(10_000);

    segment.truncate(5_000);
    expect(segment.mappedBytes).toBe(0);
    expect(liveMappings()).toBe(before);
    expect(segment.read(4_990, 100)).toEqual(new Uint8Array(10).fill(1));
    // Not mapped again: the segment is the active one until it is sealed anew.
    segment.read(0, 10);
    expect(segment.mappedBytes).toBe(0);
  });

  test("close and delete unmap; sealRolled seals every segment but the last", () => {
    const path = dir();
    const segments = [0, 10, 20].map((base) => {
      const segment = Segment.open(path, base);
      segment.append(new Uint8Array(4096).fill(base));
      return segment;
    });
    const before = liveMappings();
    sealRolled(segments);
    for (const segment of segments) expect(segment.read(0, 4)).toEqual(new Uint8Array(4).fill(segment.baseOffset));
    expect(segments.map((s) => s.mappedBytes)).toEqual([4096, 4096, 0]);
    expect(liveMappings()).toBe(before + 2);
    segments[0].close();
    segments[1].delete();
    segments[2].close();
    expect(segments.map((s) => s.mappedBytes)).toEqual([0, 0, 0]);
    expect(liveMappings()).toBe(before);
    expect(listSegmentBases(path)).toEqual([0, 20]);
  });
});
