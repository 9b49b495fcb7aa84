import { Counter, type Registry } from "prom-client";
import { METRIC } from "./metric-names.ts";

/**
 * Requests answered by each worker thread serving a broker's HTTP port (--workers above
 * 1; threads 1..N). Read from the threads' own counts when scraped, so the spread of
 * connections over the threads (the kernel's, by SO_REUSEPORT) can be seen.
 */
export function registerHttpThreadMetric(registry: Registry, source: () => readonly number[]): void {
  const reported: number[] = [];
  new Counter({
    name: METRIC.httpThreadRequests,
    help: "HTTP requests answered by each worker thread serving the port (--workers).",
    labelNames: ["thread"],
    registers: [registry],
    collect() {
      source().forEach((count, thread) => {
        if (thread === 0) return; // the broker's own thread takes no connection from the port
        const delta = count - (reported[thread] ?? 0);
        if (delta > 0 || reported[thread] === undefined) this.inc({ thread: String(thread) }, Math.max(0, delta));
        reported[thread] = count;
      });
    },
  });
}
