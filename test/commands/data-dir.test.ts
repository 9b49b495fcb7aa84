import { afterEach, beforeEach, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dataDirProblem } from "../../src/commands/data-dir.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "streamnest-data-dir-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

test("a missing folder is created, nested ones too", () => {
  const target = join(dir, "a", "b", "broker-1");
  expect(dataDirProblem(target)).toBeUndefined();
  expect(statSync(target).isDirectory()).toBe(true);
  // an existing one is fine as it is
  expect(dataDirProblem(target)).toBeUndefined();
});

test("a file in the way is named as the reason", () => {
  const file = join(dir, "file");
  writeFileSync(file, "x");
  expect(dataDirProblem(file)).toBe(`cannot use data dir ${file}: it is a file, not a folder`);
  expect(dataDirProblem(join(file, "sub"))).toBe(`cannot use data dir ${join(file, "sub")}: ${file} is a file, not a folder`);
  expect(existsSync(join(dir, "sub"))).toBe(false);
});

// root may write anywhere, so only another user can see this one
test.skipIf(process.getuid?.() === 0)("a folder without write permission is refused", () => {
  const locked = join(dir, "locked");
  mkdirSync(locked, { mode: 0o555 });
  try {
    expect(dataDirProblem(locked)).toBe(`cannot use data dir ${locked}: permission denied`);
    expect(dataDirProblem(join(locked, "sub"))).toBe(`cannot use data dir ${join(locked, "sub")}: permission denied`);
  } finally {
    chmodSync(locked, 0o755);
  }
});

test.skipIf(process.platform !== "linux")("a folder that may not be created is refused (sysfs takes no folders, even from root)", () => {
  const target = `/sys/streamnest-${process.pid}`;
  expect(dataDirProblem(target)).toBe(`cannot use data dir ${target}: permission denied`);
});
