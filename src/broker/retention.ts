import { CORE_LIMITS } from "../config/core.ts";
import { listSegmentBases } from "../storage/segment.ts";
import type { CoreContext } from "./core-context.ts";
import type { LogLease } from "./open-logs.ts";
import { effectiveRetention } from "./topic-admin.ts";
import { isInternalTopic, type PartitionState } from "./topic-catalog.ts";

/** Partitions looked at per turn of the event loop by a retention pass. */
const RETENTION_STEP_PARTITIONS = CORE_LIMITS.retentionStepPartitions.value;

/**
 * Retention by age and size, run every retentionCheckMs (Kafka's
 * log.retention.check.interval.ms): one pass at a time, over every partition with data
 * here, open or not. A closed log is opened in turn for it (and closed again) only when
 * it has a rolled segment that retention could delete.
 */
export class Retention {
  private readonly timer: ReturnType<typeof setInterval> | undefined;
  private run: Promise<void> | undefined;

  constructor(private readonly ctx: CoreContext) {
    // Always on: a topic may set its own retention at any time (a pass over topics that
    // have none, here or on the broker, looks at no partition).
    this.timer = setInterval(() => this.enforce(), ctx.config.retentionCheckMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.run;
  }

  private enforce(): void {
    // A pass over many closed logs can outlast the interval: one pass at a time.
    if (this.run) return;
    this.run = this.pass().finally(() => (this.run = undefined));
  }

  private async pass(): Promise<void> {
    const { catalog, logs, lifetime, warn } = this.ctx;
    let step = 0;
    for (const state of [...catalog.states()]) {
      // Committed offsets are kept until their group deletes them, whatever the retention.
      if (isInternalTopic(state.meta.name)) continue;
      const limits = effectiveRetention(this.ctx, state.meta);
      if (limits.retentionMs === undefined && limits.retentionBytes === undefined) continue;
      for (const ps of state.partitions) {
        if (lifetime.aborted) return;
        if (state.lifetime.signal.aborted) break;
        if (++step % RETENTION_STEP_PARTITIONS === 0) await new Promise((resolve) => setImmediate(resolve));
        const open = logs.get(ps);
        if (!open && !hasRolledSegments(ps)) continue;
        let lease: LogLease | undefined;
        try {
          lease = open ? undefined : await logs.leasePassing(ps);
          (lease?.log ?? open)?.enforceRetention(Date.now(), limits);
        } catch (error) {
          if (!state.lifetime.signal.aborted && !lifetime.aborted) warn(`retention of ${ps.dir} failed: ${(error as Error).message}`);
        } finally {
          lease?.release();
        }
      }
    }
  }
}

/**
 * Whether a closed log has more than its active segment: only then can retention delete
 * any. A folder changes only while its log is open, so what was seen is kept.
 */
function hasRolledSegments(ps: PartitionState): boolean {
  if (ps.closed) return ps.closed.segmentCount > 1;
  if (ps.unopenedSegments === undefined) {
    try {
      ps.unopenedSegments = listSegmentBases(ps.dir).length;
    } catch {
      // No folder: never written.
      ps.unopenedSegments = 0;
    }
  }
  return ps.unopenedSegments > 1;
}
