import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APPLIED_OFFSET_FILE, AppliedOffsetFile, readAppliedOffset } from "../../src/cluster/applied-offset-file.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), "applied-offset-"));
  dirs.push(d);
  return d;
}

test("a missing file reads as 0; writes are one fixed-width line, rewritten in place, and only move forward", () => {
  const d = dir();
  const file = AppliedOffsetFile.open(d);
  expect(file.offset).toBe(0);
  file.write(7);
  expect(readFileSync(join(d, APPLIED_OFFSET_FILE), "utf8")).toBe("00000000000000000007\n");
  file.write(123456);
  file.write(5);
  expect(file.current).toBe(123456);
  file.close();
  expect(readFileSync(join(d, APPLIED_OFFSET_FILE), "utf8")).toBe("00000000000000123456\n");
  expect(AppliedOffsetFile.open(d).offset).toBe(123456);
});

test("a missing or empty file reads as 0; damaged or foreign content is refused, naming the file", () => {
  const d = dir();
  const path = join(d, APPLIED_OFFSET_FILE);
  expect(readAppliedOffset(path)).toBe(0);
  writeFileSync(path, "");
  expect(readAppliedOffset(path)).toBe(0);
  for (const text of ["12\n", "0000000000000000000x\n", "00000000000000000012", "{\"offset\": 12}"]) {
    writeFileSync(path, text);
    expect(() => readAppliedOffset(path)).toThrow(
      `${path} is damaged (not one line of 20 digits): the broker does not start without knowing how far its metadata log was applied`,
    );
  }
  writeFileSync(path, "00000000000000000012\n");
  expect(readAppliedOffset(path)).toBe(12);
});

test("closing while a background flush runs leaves the last write on disk", async () => {
  const d = dir();
  const file = AppliedOffsetFile.open(d);
  for (let i = 1; i <= 50; i++) file.write(i);
  file.close();
  await Bun.sleep(50);
  expect(AppliedOffsetFile.open(d).offset).toBe(50);
});
