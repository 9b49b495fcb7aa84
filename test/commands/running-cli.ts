import type { Subprocess } from "bun";
import { streamnestCommand } from "../helpers/streamnest-command.ts";

/**
 * A StreamNest CLI process that keeps running (a consumer following a topic), whose
 * output the test watches as it comes and which it stops with a signal, as a user's
 * Ctrl-C would.
 */
export class RunningCli {
  stdout = "";
  stderr = "";
  private readonly proc: Subprocess<Uint8Array | "ignore", "pipe", "pipe">;
  private readonly waiters: Array<() => void> = [];
  private readonly done: Promise<void>;

  constructor(args: string[], stdin?: string) {
    this.proc = Bun.spawn([...streamnestCommand(), ...args], {
      stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, NO_COLOR: "1" },
    });
    this.done = Promise.all([this.collect(this.proc.stdout, "stdout"), this.collect(this.proc.stderr, "stderr")]).then(
      () => {},
    );
  }

  private async collect(stream: ReadableStream<Uint8Array>, into: "stdout" | "stderr"): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this[into] += decoder.decode(chunk, { stream: true });
      for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** Resolves once stdout contains `text`; rejects (with what was printed) if the process ends first. */
  async waitForStdout(text: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.stdout.includes(text)) {
      if (this.proc.exitCode !== null)
        throw new Error(`exited with ${this.proc.exitCode} before printing ${JSON.stringify(text)}:\n${this.stdout}\n${this.stderr}`);
      if (Date.now() > deadline)
        throw new Error(`never printed ${JSON.stringify(text)}; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends a signal (SIGINT is Ctrl-C) and waits for the exit code. */
  async signal(signal: "SIGINT" | "SIGTERM"): Promise<number> {
    this.proc.kill(signal);
    return this.exited();
  }

  async exited(): Promise<number> {
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 15_000);
    const code = await this.proc.exited;
    clearTimeout(timer);
    await this.done;
    return code;
  }

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill("SIGKILL");
  }
}
