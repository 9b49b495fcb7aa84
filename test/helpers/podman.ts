import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Podman for the container tests: one containers.conf for every call (this machine's
 * cgroups and ulimits need cgroupfs, runc and no default ulimits), commands run to the
 * end with their output kept, and a check that says in words why podman cannot be used.
 */

const CONTAINERS_CONF = `[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
`;

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export class Podman {
  readonly confDir = mkdtempSync(join(tmpdir(), "streamnest-podman-"));
  private readonly env: Record<string, string>;

  constructor(extraEnv: Record<string, string> = {}) {
    const conf = join(this.confDir, "containers.conf");
    writeFileSync(conf, CONTAINERS_CONF);
    this.env = { ...(process.env as Record<string, string>), CONTAINERS_CONF: conf, ...extraEnv };
  }

  /** Why podman cannot run containers here, or undefined when it can. */
  async unavailable(): Promise<string | undefined> {
    for (const tool of ["podman", "podman-compose", "runc"])
      if (Bun.which(tool) === null) return `${tool} is not installed (apt-get install -y podman podman-compose runc)`;
    const info = await this.run(["podman", "info", "--format", "{{.Host.OCIRuntime.Name}}"]);
    if (info.exitCode !== 0) return `podman info failed: ${info.stderr.trim().split("\n").at(-1)}`;
    return undefined;
  }

  /** Runs a command with this podman configuration; never throws on a non-zero exit. */
  async run(argv: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CommandResult> {
    const proc = Bun.spawn(argv, {
      cwd: options.cwd,
      env: { ...this.env, ...options.env },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 180_000);
    const [stdout, stderr, exitCode] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    clearTimeout(timer);
    return { exitCode, stdout, stderr };
  }

  /** As run, but a non-zero exit is an error carrying the command's output. */
  async must(argv: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<string> {
    const result = await this.run(argv, options);
    if (result.exitCode !== 0)
      throw new Error(`${argv.join(" ")} exited ${result.exitCode}\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  }
}
