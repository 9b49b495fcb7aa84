import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { selfCommand } from "../../src/cluster/self-command.ts";

describe("selfCommand", () => {
  test("from source: this Bun and the absolute path of src/main.ts, whatever the working directory", () => {
    const command = selfCommand();
    expect(command).toEqual([process.execPath, resolve(import.meta.dir, "../../src/main.ts")]);
    expect(existsSync(command[1])).toBe(true);
  });

  test("runs StreamNest", () => {
    const result = Bun.spawnSync([...selfCommand(), "--version"], { cwd: "/", stdout: "pipe", stderr: "pipe" });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.toString()).toMatch(/\d+\.\d+\.\d+/);
  });
});
