import type { PartitionLog } from "../storage/partition-log.ts";

/**
 * The end of what a consumer may read: the log end, or in explicit mode (a replicated
 * partition) the high watermark, below which the ISR holds every record.
 */
export function visibleEnd(log: PartitionLog): number {
  return log.highWatermarkMode === "explicit" ? log.highWatermark : log.endOffset;
}

/**
 * Resolves once the readable end passes `offset`, the timeout runs out, or a signal
 * aborts (client gone, partition deleted, broker closing). The wake-up comes from the
 * append itself (`onAppend`), or in explicit mode from the high watermark moving
 * (`onHighWatermark`), never from polling; the only timer is the deadline. Everything
 * registered is removed when it resolves, whichever way.
 */
export function waitForAppend(
  log: PartitionLog,
  offset: number,
  timeoutMs: number,
  signals: readonly (AbortSignal | undefined)[],
): Promise<void> {
  if (visibleEnd(log) > offset || signals.some((s) => s?.aborted)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (): void => {
      off();
      if (timer !== undefined) clearTimeout(timer);
      for (const s of signals) s?.removeEventListener("abort", done);
      resolve();
    };
    const moved = (end: number): void => {
      if (end > offset) done();
    };
    const off = log.highWatermarkMode === "explicit" ? log.onHighWatermark(moved) : log.onAppend(moved);
    if (Number.isFinite(timeoutMs)) timer = setTimeout(done, timeoutMs);
    for (const s of signals) s?.addEventListener("abort", done, { once: true });
  });
}
