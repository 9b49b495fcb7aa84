import type { FileSink, Subprocess } from "bun";
import { streamnestCommand } from "./streamnest-command.ts";

/**
 * The StreamNest CLI on a real pseudo-terminal, as a person runs it: util-linux
 * `script` gives the command a pty (so `process.stdin.isTTY` is true and Ctrl-C / Ctrl-D
 * go through the terminal's line discipline), and the test types into it and reads the
 * screen's bytes. Linux only; `available` says whether this machine can run it.
 */
export class Terminal {
  static readonly available = process.platform === "linux" && Bun.which("script") !== null;

  screen = "";
  private readonly proc: Subprocess<"pipe", "pipe", "ignore">;
  private readonly keyboard: FileSink;
  private readonly reading: Promise<void>;

  constructor(args: string[]) {
    // `exec`: script runs the command through $SHELL -c, and a shell left in between
    // (dash keeps one) would take the terminal's Ctrl-C itself and die of it (130).
    const words = [...streamnestCommand(), ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`);
    const command = `exec ${words.join(" ")}`;
    this.proc = Bun.spawn(["script", "-qefc", command, "/dev/null"], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "ignore",
      env: { ...process.env, NO_COLOR: "1", TERM: "dumb" },
    });
    this.keyboard = this.proc.stdin;
    this.reading = this.read();
  }

  private async read(): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.proc.stdout) this.screen += decoder.decode(chunk, { stream: true });
  }

  /** Waits until the screen shows `text` (after `from`), then returns where it ends. */
  async waitFor(text: string, from = 0, timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.screen.indexOf(text, from);
      if (at >= 0) return at + text.length;
      if (this.proc.exitCode !== null || Date.now() > deadline)
        throw new Error(`the screen never showed ${JSON.stringify(text)}; it shows:\n${this.screen}`);
      await Bun.sleep(20);
    }
  }

  /** Types keys: text, "\n" for Enter, "\x03" for Ctrl-C, "\x04" for Ctrl-D. */
  type(keys: string): void {
    this.keyboard.write(keys);
    this.keyboard.flush();
  }

  /** The command's exit code (script -e passes it on), once it has ended. */
  async exited(timeoutMs = 20_000): Promise<number> {
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), timeoutMs);
    const code = await this.proc.exited;
    clearTimeout(timer);
    await this.reading;
    return code;
  }

  /** The screen without carriage returns (the terminal writes \r\n). */
  get lines(): string {
    return this.screen.replace(/\r/g, "");
  }
}
