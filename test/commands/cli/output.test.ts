import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";

const MODULE = resolve(import.meta.dir, "../../../src/commands/cli/output.ts");

/**
 * output.ts acts on the process (its standard output and its exit), so each case runs
 * a child that imports it; `shell` wires that child's standard output as a user would.
 */
function run(body: string, shell: (child: string) => string): { stdout: string; stderr: string; exitCode: number } {
  const code = `import { exit, flushed, log, out } from ${JSON.stringify(MODULE)};\n${body}`;
  const child = `${JSON.stringify(process.execPath)} -e ${shellQuote(code)}`;
  const result = Bun.spawnSync(["bash", "-c", shell(child)], { stdout: "pipe", stderr: "pipe" });
  return { stdout: result.stdout.toString(), stderr: result.stderr.toString(), exitCode: result.exitCode ?? -1 };
}

const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

describe("out, log and exit", () => {
  test("messages go to standard output in order, log lines to standard error only", () => {
    const result = run(`log.info("starting"); await out("a\\n"); out("b\\n"); await flushed(); log.warn("careful"); await exit(0);`, (c) => c);
    expect(result.stdout).toBe("a\nb\n");
    expect(result.stderr).toContain("starting");
    expect(result.stderr).toContain("careful");
    expect(result.exitCode).toBe(0);
  });

  test("exit waits until everything written has left, and exits with the code", () => {
    const result = run(`for (let i = 0; i < 2000; i++) out(String(i).padStart(1000, ".") + "\\n"); await exit(3);`, (c) => `${c} | wc -c; exit \${PIPESTATUS[0]}`);
    expect(result.stdout.trim()).toBe(String(2000 * 1001));
    expect(result.exitCode).toBe(3);
  });

  test("a reader that went away (| head) is a normal end: exit 0, nothing on standard error", () => {
    const result = run(`for (;;) await out("x".repeat(4096) + "\\n");`, (c) => `${c} | head -c 10 > /dev/null; exit \${PIPESTATUS[0]}`);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe("");
  });

  // /dev/full (Linux): every write fails with ENOSPC.
  test("a failed write (a full disk) is reported and exits 1", () => {
    const result = run(`await out("lost\\n"); await exit(0);`, (c) => `${c} > /dev/full`);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("cannot write to standard output: ");
  });
});
