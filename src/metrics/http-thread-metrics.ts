import { Counter, type Registry } from "prom-client";
import { METRIC } from "./metric-names.ts";

/**
 * Requests answered by each thread serving a broker's HTTP (--workers): thread 0 is the
 * broker's own, 1.. its workers. Read from the threads' own counts when scraped, so the
 * spread of connections over the threads (the kernel's, by SO_REUSEPORT) can be seen.
 */
export function registerHttpThreadMetric(registry: Registry, source: () => readonly number[]): void {
  const reported: number[] = [];
  new Counter({
    name: METRIC.httpThreadRequests,
    help: "HTTP requests answered by each thread serving the port (thread 0: the broker's own).",
    labelNames: ["thread"],
    registers: [registry],
    collect() {
      source().forEach((count, thread) => {
        const delta = count - (reported[thread] ?? 0);
        if (delta > 0 || reported[thread] === undefined) this.inc({ thread: String(thread) }, Math.max(0, delta));
        reported[thread] = count;
      });
    },
  });
}
