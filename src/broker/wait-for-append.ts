import type { PartitionLog } from "../storage/partition-log.ts";

/**
 * Resolves once the log's end passes `offset`, the timeout runs out, or a signal aborts
 * (client gone, partition deleted, broker closing). The wake-up comes from the append
 * itself (`onAppend`), never from polling; the only timer is the deadline. Everything
 * registered is removed when it resolves, whichever way.
 */
export function waitForAppend(
  log: PartitionLog,
  offset: number,
  timeoutMs: number,
  signals: readonly (AbortSignal | undefined)[],
): Promise<void> {
  if (log.endOffset > offset || signals.some((s) => s?.aborted)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (): void => {
      off();
      if (timer !== undefined) clearTimeout(timer);
      for (const s of signals) s?.removeEventListener("abort", done);
      resolve();
    };
    const off = log.onAppend((end) => {
      if (end > offset) done();
    });
    if (Number.isFinite(timeoutMs)) timer = setTimeout(done, timeoutMs);
    for (const s of signals) s?.addEventListener("abort", done, { once: true });
  });
}
