import { readFileSync } from "node:fs";
import type { Subprocess } from "bun";
import { SUPERVISED_ENV } from "./parent-watch.ts";
import { portProblem } from "./port-check.ts";
import { LAUNCHER_LIMITS } from "../config/cluster.ts";

/**
 * Keeps one broker process alive for the launcher: spawns it, relays its output under
 * a recognisable prefix, restarts it with back-off when it dies unexpectedly, and stops
 * it cleanly (SIGTERM, then SIGKILL after a grace period).
 */

export interface BrokerSpec {
  id: number;
  port: number;
  /** The address the broker binds (undefined: every interface). */
  bindHost: string | undefined;
  /** Where /health is polled (a loopback address when the broker binds every interface). */
  healthHost: string;
  argv: string[];
  env: Record<string, string | undefined>;
  /** The brokers serve HTTPS: /health is asked over it, with their certificate as the client's (for --tls-ca). */
  tls?: { cert: string; key: string };
}

export interface SupervisorOutput {
  /** A line of the broker's own output, already prefixed. */
  relay(line: string, stream: "stdout" | "stderr"): void;
  /** A line from the launcher about this broker. */
  notice(line: string): void;
  warn(line: string): void;
}

export interface RestartPolicy {
  /** A run shorter than this counts as a quick failure. */
  quickFailureMs: number;
  /** Consecutive quick failures after which the broker is given up. */
  maxQuickFailures: number;
  firstBackoffMs: number;
  maxBackoffMs: number;
  /** How long a stop waits for SIGTERM to work before SIGKILL. */
  stopGraceMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  quickFailureMs: LAUNCHER_LIMITS.quickFailureMs.value,
  maxQuickFailures: LAUNCHER_LIMITS.maxQuickFailures.value,
  firstBackoffMs: LAUNCHER_LIMITS.firstBackoffMs.value,
  maxBackoffMs: LAUNCHER_LIMITS.maxBackoffMs.value,
  stopGraceMs: LAUNCHER_LIMITS.stopGraceMs.value,
};

export type BrokerState = "starting" | "up" | "backing-off" | "given-up" | "stopping" | "stopped";

type Child = Subprocess<"pipe", "pipe", "pipe">;

export class BrokerSupervisor {
  private child: Child | undefined;
  private state: BrokerState = "stopped";
  private quickFailures = 0;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private everUp = false;
  private readonly firstUp: Promise<boolean>;
  private settleFirstUp: (up: boolean) => void = () => {};
  private readonly gaveUp: Promise<void>;
  private settleGaveUp: () => void = () => {};

  constructor(
    readonly spec: BrokerSpec,
    private readonly out: SupervisorOutput,
    private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
  ) {
    this.firstUp = new Promise((resolve) => (this.settleFirstUp = resolve));
    this.gaveUp = new Promise((resolve) => (this.settleGaveUp = resolve));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get status(): BrokerState {
    return this.state;
  }

  /** Resolves true once the first process answers /health, false if it died first. */
  whenFirstUp(): Promise<boolean> {
    return this.firstUp;
  }

  /** Resolves when the supervisor stops restarting the broker after repeated quick failures. */
  whenGivenUp(): Promise<void> {
    return this.gaveUp;
  }

  start(): void {
    let child: Child;
    try {
      child = Bun.spawn(this.spec.argv, {
        // The pipe is never written: its end-of-file tells a supervised broker that the
        // launcher is gone, even after a SIGKILL (see parent-watch.ts).
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
        env: { ...this.spec.env, [SUPERVISED_ENV]: "1" },
        // Its own session: a terminal's Ctrl-C reaches only the launcher, which then stops
        // the brokers in order instead of racing them to notice the signal.
        detached: true,
      });
    } catch (error) {
      this.child = undefined;
      this.failed(`could not be started (${error instanceof Error ? error.message : String(error)})`, 0);
      return;
    }
    this.child = child;
    this.state = "starting";
    const startedAt = performance.now();
    void this.pipeLines(child.stdout, "stdout");
    void this.pipeLines(child.stderr, "stderr");
    void this.waitUntilUp(child);
    void child.exited.then((code) => {
      if (this.child !== child || this.state === "stopping" || this.state === "stopped") return;
      const how = child.signalCode ? `was killed by ${child.signalCode}` : `exited with code ${code}`;
      this.failed(`(pid ${child.pid}) ${how}`, performance.now() - startedAt, " unexpectedly");
    });
  }

  /** SIGTERM, wait up to the grace period, then SIGKILL; no restart follows. */
  async stop(): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (this.state === "given-up") return;
    this.state = "stopping";
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.state = "stopped";
      return;
    }
    child.kill("SIGTERM");
    const timer = setTimeout(() => {
      this.out.warn(`Broker ${this.spec.id} did not stop within ${this.policy.stopGraceMs / 1000}s of SIGTERM; killing it`);
      child.kill("SIGKILL");
    }, this.policy.stopGraceMs);
    await child.exited;
    clearTimeout(timer);
    this.state = "stopped";
  }

  /** Passes a signal on to the running broker (SIGHUP: reload its certificates). */
  signal(signal: NodeJS.Signals): void {
    const child = this.child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill(signal);
  }

  /** Ends the process at once (the launcher's second Ctrl-C). */
  kill(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.state !== "given-up") this.state = "stopping";
    this.child?.kill("SIGKILL");
  }

  private async pipeLines(stream: ReadableStream<Uint8Array>, kind: "stdout" | "stderr"): Promise<void> {
    const decoder = new TextDecoder();
    let pending = "";
    try {
      for await (const chunk of stream) {
        pending += decoder.decode(chunk, { stream: true });
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) this.out.relay(line.replace(/\r$/, ""), kind);
      }
    } catch {
      // the pipe broke with the process; whatever was read has been relayed
    }
    pending += decoder.decode();
    if (pending !== "") this.out.relay(pending, kind);
  }

  private async waitUntilUp(child: Child): Promise<void> {
    const url = `${this.spec.tls !== undefined ? "https" : "http"}://${this.spec.healthHost.includes(":") ? `[${this.spec.healthHost}]` : this.spec.healthHost}:${this.spec.port}/health`;
    while (this.child === child && child.exitCode === null && child.signalCode === null && this.state === "starting") {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000), ...healthTls(this.spec.tls) });
        await res.arrayBuffer();
        if (res.ok) {
          if (this.child !== child || this.state !== "starting") return;
          this.state = "up";
          if (this.everUp) this.out.notice(`Broker ${this.spec.id} is back up (pid ${child.pid})`);
          this.everUp = true;
          this.settleFirstUp(true);
          return;
        }
      } catch {
        // not listening yet
      }
      await Bun.sleep(100);
    }
  }

  /** `how` says what happened; `adverb` is added when reporting a restart. */
  private failed(how: string, ranMs: number, adverb = ""): void {
    if (!this.everUp) {
      // Dying before ever answering is a configuration problem (bad flag, unreadable
      // data dir), not a crash: restarting would only repeat it, so the launcher stops.
      this.state = "given-up";
      this.out.warn(`Broker ${this.spec.id} ${how} before it was up; see its output above`);
      this.settleFirstUp(false);
      this.settleGaveUp();
      return;
    }
    this.quickFailures = ranMs < this.policy.quickFailureMs ? this.quickFailures + 1 : 1;
    if (this.quickFailures >= this.policy.maxQuickFailures) {
      this.state = "given-up";
      this.out.warn(
        `Broker ${this.spec.id} ${how}; it failed ${this.quickFailures} times in a row within ` +
          `${this.policy.quickFailureMs / 1000}s of starting, so the launcher gives up on it (port ${this.spec.port}). ` +
          `The other brokers keep running; see broker ${this.spec.id}'s output above.`,
      );
      this.settleGaveUp();
      return;
    }
    const delay = Math.min(this.policy.firstBackoffMs * 2 ** (this.quickFailures - 1), this.policy.maxBackoffMs);
    this.out.warn(`Broker ${this.spec.id} ${how}${adverb}; restarting it in ${(delay / 1000).toFixed(1)}s`);
    this.state = "backing-off";
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.state !== "backing-off") return;
      if (portProblem(this.spec.port, this.spec.bindHost)) {
        // Someone took the port while the broker was down; never evict them, retry later.
        this.failed(`cannot restart: port ${this.spec.port} is now used by another process`, 0);
        return;
      }
      this.start();
    }, delay);
  }
}

/**
 * The health check of a broker the launcher started itself asks only whether it
 * answers, and trusts the answer with nothing: its certificate is not verified (it may
 * name a host other than the loopback address asked), but the broker's own certificate
 * goes along for a broker that requires client certificates. Read at each check, so a
 * renewed certificate is used after SIGHUP.
 */
function healthTls(tls: { cert: string; key: string } | undefined): { tls?: { cert: string; key: string; rejectUnauthorized: false } } {
  if (tls === undefined) return {};
  try {
    return { tls: { cert: readFileSync(tls.cert, "utf8"), key: readFileSync(tls.key, "utf8"), rejectUnauthorized: false } };
  } catch {
    return {};
  }
}
