import { afterEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removePortFile, writePortFile } from "../../src/commands/port-file.ts";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("the port is written whole, replacing an older file, and no temporary file is left", () => {
  dir = mkdtempSync(join(tmpdir(), "streamnest-port-file-"));
  const path = join(dir, "port");
  writeFileSync(path, "1111\n");
  expect(writePortFile(path, 40123)).toBeUndefined();
  expect(readFileSync(path, "utf8")).toBe("40123\n");
  expect(readdirSync(dir)).toEqual(["port"]);
});

test("a file that cannot be written is a sentence naming it, and leaves nothing behind", () => {
  dir = mkdtempSync(join(tmpdir(), "streamnest-port-file-"));
  const path = join(dir, "missing", "port");
  expect(writePortFile(path, 1)).toBe(`cannot write the port file ${path}: its folder does not exist`);
  const folder = join(dir, "folder");
  mkdirSync(folder);
  expect(writePortFile(folder, 1)).toBe(`cannot write the port file ${folder}: it is a folder`);
  expect(readdirSync(dir)).toEqual(["folder"]);
});

test("on stop the file is removed only while it still holds this broker's port", () => {
  dir = mkdtempSync(join(tmpdir(), "streamnest-port-file-"));
  const path = join(dir, "port");
  writePortFile(path, 2000);
  removePortFile(path, 3000);
  expect(readFileSync(path, "utf8")).toBe("2000\n");
  removePortFile(path, 2000);
  expect(readdirSync(dir)).toEqual([]);
  removePortFile(path, 2000);
});
