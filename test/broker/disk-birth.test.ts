import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DISK_BIRTH_FILE, readDiskBirth } from "../../src/broker/disk-birth.ts";

const made: string[] = [];
const root = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "disk-birth-"));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe("readDiskBirth", () => {
  test("a new (missing or empty) data dir is born now, and keeps that time", () => {
    const dir = join(root(), "broker-1");
    const before = Date.now();
    const born = readDiskBirth(dir);
    expect(born).toBeGreaterThanOrEqual(before);
    expect(born).toBeLessThanOrEqual(Date.now());
    expect(JSON.parse(readFileSync(join(dir, "meta", DISK_BIRTH_FILE), "utf8"))).toEqual({ bornAt: born });
    expect(readDiskBirth(dir)).toBe(born);
    const empty = root();
    expect(readDiskBirth(empty)).toBeGreaterThanOrEqual(before);
  });

  test("a dir that held data before the file existed is taken as old: nothing in it is lost", () => {
    const dir = root();
    mkdirSync(join(dir, "t-0"));
    expect(readDiskBirth(dir)).toBe(0);
    expect(readDiskBirth(dir)).toBe(0);
  });

  test("a damaged file is a storage error, not a new disk", () => {
    const dir = root();
    mkdirSync(join(dir, "meta"));
    writeFileSync(join(dir, "meta", DISK_BIRTH_FILE), '{"bornAt":"soon"}');
    expect(() => readDiskBirth(dir)).toThrow("holds no birth time");
  });
});
