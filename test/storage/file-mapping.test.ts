import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, closeSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CORE_LIMITS } from "../../src/config/core.ts";
import { FileMapping, liveMappings } from "../../src/storage/file-mapping.ts";
import { tempDir } from "./fixtures/records.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A file of `size` bytes, each from its position, open for reading; closed after the test. */
function fileOf(size: number): { path: string; fd: number; bytes: Uint8Array } {
  const d = tempDir("streamnest-mapping-");
  cleanups.push(d.remove);
  const path = join(d.path, "f");
  const bytes = new Uint8Array(size).map((_, i) => (i * 7 + (i >>> 12)) & 0xff);
  writeFileSync(path, bytes);
  const fd = openSync(path, "r");
  cleanups.push(() => closeSync(fd));
  return { path, fd, bytes };
}

function mapped(fd: number, length: number): FileMapping {
  const mapping = FileMapping.map(fd, length);
  // This suite runs on Linux with glibc, where mapping is available: a null here is a defect.
  expect(mapping).not.toBeNull();
  cleanups.push(() => mapping?.unmap());
  return mapping as FileMapping;
}

describe("FileMapping", () => {
  test("copies any range of the file's bytes out, byte for byte, across page boundaries", () => {
    const { fd, bytes } = fileOf(3 * 4096 + 123);
    const mapping = mapped(fd, bytes.length);
    expect(mapping.length).toBe(bytes.length);
    for (const [position, length] of [[0, 1], [0, bytes.length], [4090, 20], [8191, 4098], [bytes.length - 7, 7], [5000, 0]]) {
      const into = new Uint8Array(length).fill(0xee);
      mapping.copyOut(position, into);
      expect(Buffer.compare(into, bytes.subarray(position, position + length))).toBe(0);
    }
    // Into a view that starts inside its buffer: the bytes land in the view, not before it.
    const outer = new Uint8Array(64).fill(0xee);
    mapping.copyOut(100, outer.subarray(10, 20));
    expect([...outer.subarray(0, 10)]).toEqual(new Array(10).fill(0xee));
    expect([...outer.subarray(10, 20)]).toEqual([...bytes.subarray(100, 110)]);
    expect([...outer.subarray(20)]).toEqual(new Array(44).fill(0xee));
  });

  test("maps the first `length` bytes only: a range past them, or before the start, is refused", () => {
    const { path, fd, bytes } = fileOf(10_000);
    const mapping = mapped(fd, 6_000);
    expect(() => mapping.copyOut(5_990, new Uint8Array(11))).toThrow(new RangeError("bytes [5990, 6001) are outside the 6000 mapped bytes"));
    expect(() => mapping.copyOut(-1, new Uint8Array(2))).toThrow(new RangeError("bytes [-1, 1) are outside the 6000 mapped bytes"));
    expect(() => mapping.copyOut(Number.NaN, new Uint8Array(2))).toThrow(RangeError);
    expect(() => mapping.copyOut(1.5, new Uint8Array(2))).toThrow(new RangeError("bytes [1.5, 3.5) are outside the 6000 mapped bytes"));
    // Bytes the file gains later are not in the mapping either.
    appendFileSync(path, new Uint8Array(5000));
    expect(() => mapping.copyOut(9_000, new Uint8Array(1))).toThrow(RangeError);
    const last = new Uint8Array(10);
    mapping.copyOut(5_990, last);
    expect([...last]).toEqual([...bytes.subarray(5_990, 6_000)]);
  });

  test("unmap ends the mapping once: copies are refused after it, and the thread's count goes back", () => {
    const { fd } = fileOf(8192);
    const before = liveMappings();
    const mapping = mapped(fd, 8192);
    expect(liveMappings()).toBe(before + 1);
    expect(mapping.mapped).toBe(true);
    mapping.unmap();
    mapping.unmap();
    expect(mapping.mapped).toBe(false);
    expect(liveMappings()).toBe(before);
    expect(() => mapping.copyOut(0, new Uint8Array(1))).toThrow("read from a file mapping after it was unmapped");
  });

  test("nothing is mapped for an empty range or a file descriptor that is not open", () => {
    const { fd } = fileOf(100);
    const before = liveMappings();
    expect(FileMapping.map(fd, 0)).toBeNull();
    expect(FileMapping.map(999_999, 4096)).toBeNull();
    expect(liveMappings()).toBe(before);
  });

  test("a thread keeps at most mappedSegmentsPerThread mappings; past that nothing more is mapped", () => {
    const { fd } = fileOf(4096);
    const limit = CORE_LIMITS.mappedSegmentsPerThread as { value: number };
    const saved = limit.value;
    cleanups.push(() => {
      limit.value = saved;
    });
    limit.value = liveMappings() + 2;
    mapped(fd, 4096);
    const second = mapped(fd, 4096);
    expect(FileMapping.map(fd, 4096)).toBeNull();
    second.unmap();
    expect(mapped(fd, 100).length).toBe(100);
  });
});
