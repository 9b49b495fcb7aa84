import { parsePrometheus, sumBy, sumOf } from "./prometheus.ts";
import type { ClusterMetricsAnswer } from "./types.ts";

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

/**
 * Every broker's counters at one moment (GET /cluster/metrics). Rates are taken per
 * broker and then added, so a broker that stops answering drops out of the sum instead
 * of looking like a counter reset of the whole cluster.
 */
export interface ClusterScrape {
  atMs: number;
  brokers: Map<number, Scrape>;
  diskBytes: Map<number, number>;
}

export interface ClusterRates extends Rates {
  byBroker: Map<number, { producedPerSec: number; consumedPerSec: number }>;
}

export function clusterScrapeOf(answer: ClusterMetricsAnswer, atMs: number): ClusterScrape {
  const brokers = new Map<number, Scrape>();
  const diskBytes = new Map<number, number>();
  for (const b of answer.brokers) {
    if (b.id === null || b.metrics === null) continue;
    brokers.set(b.id, {
      atMs,
      produced: b.metrics.produced_total,
      consumed: b.metrics.consumed_total,
      producedByTopic: new Map(Object.entries(b.metrics.produced_by_topic)),
    });
    diskBytes.set(b.id, b.metrics.disk_bytes);
  }
  return { atMs, brokers, diskBytes };
}

/** The cluster's rates between two scrapes, over the brokers present in both; null as ratesBetween. */
export function clusterRatesBetween(before: ClusterScrape, after: ClusterScrape): ClusterRates | null {
  if (!(after.atMs - before.atMs > 1)) return null;
  const total: ClusterRates = { producedPerSec: 0, consumedPerSec: 0, producedPerSecByTopic: new Map(), byBroker: new Map() };
  for (const [id, now] of after.brokers) {
    const then = before.brokers.get(id);
    const rates = then === undefined ? null : ratesBetween(then, now);
    if (rates === null) continue;
    total.producedPerSec += rates.producedPerSec;
    total.consumedPerSec += rates.consumedPerSec;
    for (const [topic, r] of rates.producedPerSecByTopic) total.producedPerSecByTopic.set(topic, (total.producedPerSecByTopic.get(topic) ?? 0) + r);
    total.byBroker.set(id, { producedPerSec: rates.producedPerSec, consumedPerSec: rates.consumedPerSec });
  }
  return total;
}
