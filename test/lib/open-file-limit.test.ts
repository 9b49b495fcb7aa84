import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { openFileLimit } from "../../src/lib/open-file-limit.ts";

describe("openFileLimit", () => {
  test("is the soft RLIMIT_NOFILE the shell reports, read once", () => {
    const shell = Bun.spawnSync(["sh", "-c", "ulimit -n"], { stdout: "pipe" }).stdout.toString().trim();
    const expected = shell === "unlimited" ? null : Number(shell);
    const limit = openFileLimit();
    expect(limit).toBe(expected);
    // The same value again (cached, not re-read).
    expect(openFileLimit()).toBe(limit);
  });

  test("agrees with /proc/self/limits where Linux has it", () => {
    let text: string;
    try {
      text = readFileSync("/proc/self/limits", "utf8");
    } catch {
      return; // not Linux: the other test covers the shell path
    }
    const line = text.split("\n").find((l) => l.startsWith("Max open files")) as string;
    const soft = line.trim().split(/\s+/)[3];
    expect(openFileLimit()).toBe(soft === "unlimited" ? null : Number(soft));
  });
});
