import { parsePrometheus, sumBy, sumOf } from "./prometheus.ts";

/**
 * Produce and consume rates from two successive scrapes of /metrics: the counters'
 * increase over the time between them. A counter that went down (the broker restarted)
 * counts from zero, as Prometheus' rate() treats a reset.
 */

export const PRODUCED = "streamnest_messages_produced_total";
export const CONSUMED = "streamnest_messages_consumed_total";

export interface Scrape {
  atMs: number;
  produced: number;
  consumed: number;
  producedByTopic: Map<string, number>;
}

export interface Rates {
  producedPerSec: number;
  consumedPerSec: number;
  producedPerSecByTopic: Map<string, number>;
}

export function scrapeOf(text: string, atMs: number): Scrape {
  const samples = parsePrometheus(text);
  return {
    atMs,
    produced: sumOf(samples, PRODUCED),
    consumed: sumOf(samples, CONSUMED),
    producedByTopic: sumBy(samples, PRODUCED, "topic"),
  };
}

function increase(before: number, after: number): number {
  return after >= before ? after - before : after;
}

/** Rates between two scrapes; null when they are not at least 1 ms apart in order. */
export function ratesBetween(before: Scrape, after: Scrape): Rates | null {
  const seconds = (after.atMs - before.atMs) / 1000;
  if (!(seconds > 0.001)) return null;
  const byTopic = new Map<string, number>();
  for (const [topic, value] of after.producedByTopic)
    byTopic.set(topic, increase(before.producedByTopic.get(topic) ?? 0, value) / seconds);
  return {
    producedPerSec: increase(before.produced, after.produced) / seconds,
    consumedPerSec: increase(before.consumed, after.consumed) / seconds,
    producedPerSecByTopic: byTopic,
  };
}

/** Keeps the last `size` values for a sparkline. */
export function pushBounded(values: readonly number[], value: number, size: number): number[] {
  const next = [...values, value];
  return next.length > size ? next.slice(next.length - size) : next;
}
