import type { PartitionLog } from "../storage/partition-log.ts";

/**
 * The acks=all produces waiting on one log for its high watermark to pass their records
 * (Kafka's produce purgatory). While any waits, the log has one high-watermark listener,
 * one listener per abort signal and one check every CHECK_MS, shared by all of them: with
 * one of each per produce, setting them up and taking them down was about a twentieth of
 * a replicated leader's CPU at 16 produces in flight.
 */

/** How often waiters are checked for a lost leadership and for their deadline. */
const CHECK_MS = 50;

export interface HighWatermarkWait {
  /** Resolved true once the high watermark is past this offset. */
  lastOffset: number;
  /** Checked every CHECK_MS: once false (leadership moved), the wait ends with false. */
  holds: () => boolean;
  /** The wait ends with false after this long (at most CHECK_MS later). */
  timeoutMs: number;
  /** The wait ends with false when one is aborted (the broker closing, the topic deleted). */
  signals: readonly AbortSignal[];
}

interface Waiter {
  lastOffset: number;
  holds: () => boolean;
  deadline: number;
  resolve: (reached: boolean) => void;
}

const waitsByLog = new WeakMap<PartitionLog, LogWaits>();

/** Whether the high watermark of `log` passed `wait.lastOffset` (true), or the wait ended first (false). */
export function highWatermarkPast(log: PartitionLog, wait: HighWatermarkWait): Promise<boolean> {
  if (log.highWatermark > wait.lastOffset) return Promise.resolve(true);
  // An aborted signal never fires again: its listener would never be called.
  if (wait.signals.some((s) => s.aborted)) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    let waits = waitsByLog.get(log);
    if (waits === undefined) {
      waits = new LogWaits(log);
      waitsByLog.set(log, waits);
    }
    waits.add({ lastOffset: wait.lastOffset, holds: wait.holds, deadline: performance.now() + wait.timeoutMs, resolve }, wait.signals);
  });
}

class LogWaits {
  private waiters: Waiter[] = [];
  private off: (() => void) | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly signals = new Set<AbortSignal>();

  constructor(private readonly log: PartitionLog) {}

  add(waiter: Waiter, signals: readonly AbortSignal[]): void {
    this.waiters.push(waiter);
    for (const signal of signals) {
      if (this.signals.has(signal)) continue;
      this.signals.add(signal);
      signal.addEventListener("abort", this.abort);
    }
    if (this.off !== undefined) return;
    this.off = this.log.onHighWatermark((hw) => this.settle((w) => (hw > w.lastOffset ? true : undefined)));
    this.timer = setInterval(() => {
      const now = performance.now();
      this.settle((w) => (now >= w.deadline || !w.holds() ? false : undefined));
    }, CHECK_MS);
  }

  // Every waiter ends: which of them a signal concerned is not worth telling apart.
  private readonly abort = (): void => this.settle(() => false);

  /** Ends each waiter `verdict` decides (true or false), keeps the others (undefined). */
  private settle(verdict: (waiter: Waiter) => boolean | undefined): void {
    const kept: Waiter[] = [];
    for (const waiter of this.waiters) {
      const reached = verdict(waiter);
      if (reached === undefined) kept.push(waiter);
      else waiter.resolve(reached);
    }
    this.waiters = kept;
    if (kept.length === 0) this.stop();
  }

  private stop(): void {
    this.off?.();
    this.off = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
    for (const signal of this.signals) signal.removeEventListener("abort", this.abort);
    this.signals.clear();
    waitsByLog.delete(this.log);
  }
}
