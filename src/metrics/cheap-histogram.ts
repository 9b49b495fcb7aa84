import { Histogram, type HistogramConfiguration } from "prom-client";

/** prom-client's state of one label set of a histogram (lib/histogram.js, createBaseValues). */
interface Cell {
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

/**
 * A histogram without labels whose `record` is a bucket search and three additions.
 * prom-client's observe, per call, builds a closure, converts and validates labels and
 * hashes them, even with none (several times the cost of the read it times on a cached
 * /consume). `record` updates the same state observe does, so scrapes, `get()`,
 * `reset()` and `observe` are prom-client's own; the state's shape is checked at each
 * call, and anything unexpected (a reset before any observation, another prom-client
 * version) goes through observe.
 */
export class CheapHistogram extends Histogram<string> {
  private readonly bounds: readonly number[];

  constructor(config: HistogramConfiguration<string>) {
    if ((config.labelNames ?? []).length > 0) throw new TypeError(`${config.name}: a CheapHistogram has no labels`);
    super(config);
    this.bounds = [...(config.buckets ?? [])].sort((a, b) => a - b);
  }

  record(value: number): void {
    const cell = (this as unknown as { hashMap?: Record<string, Cell | undefined> }).hashMap?.[""];
    if (cell === undefined || typeof cell.count !== "number" || !Number.isFinite(value)) return this.observe(value);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    // Past the last bound only the count (+Inf) and the sum grow, as in prom-client.
    if (i < bounds.length) cell.bucketValues[bounds[i]]++;
    cell.sum += value;
    cell.count++;
  }
}
