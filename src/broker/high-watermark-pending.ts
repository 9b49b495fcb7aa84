import type { PartitionState } from "./topic-catalog.ts";

/**
 * A leader's high watermark that is not yet known (Kafka's KAFKA-2334 problem): a broker
 * that takes up leadership, a restarted one above all, starts from the high watermark
 * of its checkpoint, which may lag what the previous leader (or it, before a kill -9)
 * had already shown consumers, and learns the real one once every other in-sync replica
 * has fetched from it (each holds at least every committed record). Until then a read
 * here would see the high watermark go backward: records a consumer was given a moment
 * ago would be missing from a read from 0, a tail from "the end" would start before
 * records already shown. So reads wait for it, briefly: the followers' next fetches
 * settle it within a fetch round trip. A read that waited its bound is served with what
 * is known (Kafka's answer: the lagging high watermark, no records past it, no error).
 *
 * The replication driver (cluster/replication/) marks and clears the state through the
 * ReplicaHost; the core's reads (fetch.ts, tail.ts) wait here.
 */

interface Pending {
  promise: Promise<void>;
  resolve: () => void;
}

const pending = new WeakMap<PartitionState, Pending>();

/** Marks the partition's high watermark as not yet known here (true) or known again (false). */
export function setHighWatermarkPending(ps: PartitionState, isPending: boolean): void {
  const current = pending.get(ps);
  if (isPending) {
    if (current) return;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    pending.set(ps, { promise, resolve });
    return;
  }
  if (!current) return;
  pending.delete(ps);
  current.resolve();
}

export function isHighWatermarkPending(ps: PartitionState): boolean {
  return pending.has(ps);
}

/**
 * Resolves once the partition's high watermark is known here, `maxMs` passes, or a
 * signal aborts; at once when it is known. Returns whether it is known. (A leadership
 * taken up again may clear and set the mark in one step: the wait goes on through it.)
 */
export async function awaitHighWatermark(ps: PartitionState, maxMs: number, signals: readonly (AbortSignal | undefined)[]): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  for (let current = pending.get(ps); current !== undefined; current = pending.get(ps)) {
    const left = deadline - Date.now();
    if (left <= 0 || signals.some((s) => s?.aborted)) return false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stop: (() => void) | undefined;
    await Promise.race([
      current.promise,
      new Promise<void>((resolve) => {
        stop = () => resolve();
        timer = setTimeout(stop, left);
        for (const s of signals) s?.addEventListener("abort", stop, { once: true });
      }),
    ]);
    clearTimeout(timer);
    for (const s of signals) if (stop) s?.removeEventListener("abort", stop);
  }
  return true;
}
