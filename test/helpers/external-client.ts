import { existsSync } from "node:fs";

/**
 * External Kafka clients installed from Debian (kcat, python3-kafka,
 * python3-confluent-kafka; .ci/run installs them when it can). A test of a missing one
 * is skipped with the reason printed once, rather than failing on a machine without it.
 */

/** The Debian Python, whose dist-packages hold the Debian client modules (a pyenv shim's would not). */
export const SYSTEM_PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

export function hasCommand(command: string): boolean {
  return Bun.which(command) !== null;
}

export function hasPythonModule(module: string): boolean {
  const probe = Bun.spawnSync([SYSTEM_PYTHON, "-c", `import ${module}`], { stdout: "ignore", stderr: "ignore" });
  return probe.exitCode === 0;
}

/** Prints why a client's tests are skipped; returns whether they run. */
export function available(client: string, present: boolean, install: string): boolean {
  if (!present) console.log(`skipping the ${client} tests: it is not installed (${install})`);
  return present;
}

/** Runs a command to completion, with stdin, and returns its output; kills it after `timeoutMs`. */
export async function run(
  command: string[],
  options: { stdin?: string; timeoutMs?: number } = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(command, {
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { exitCode, stdout, stderr };
}
