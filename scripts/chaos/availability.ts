import { partitionKey, type PartitionId, type ProduceAttempt } from "./history.ts";

/**
 * How long partitions stayed unwritable under each kind of fault: for every partition,
 * the windows between consecutive acknowledged writes (and the run's start and end),
 * and for every fault kind the longest such window that overlaps a fault of that kind.
 * This is the "seconds without a write" figure of issue 12's chaos harness (Jepsen
 * plots the same thing as gaps between ok operations).
 */

export interface FaultEvent {
  /** kill, pause, partition, ... */
  kind: string;
  start: number;
  /** When the fault was healed; absent if it lasted to the end of the run. */
  end?: number;
  /** What it hit (a broker id, a link), for the report. */
  target?: string;
}

/** An acknowledged write's partition and completion time. */
export interface AcknowledgedWrite extends PartitionId {
  at: number;
}

export interface QuietWindow extends PartitionId {
  from: number;
  to: number;
  ms: number;
  /** The first fault of the kind that the window overlaps (absent for windows outside every fault). */
  fault?: FaultEvent;
}

export interface AvailabilityInput {
  run: { start: number; end: number };
  /** Every partition written to; a partition without a single ack is quiet for the whole run. */
  partitions: PartitionId[];
  faults: FaultEvent[];
  acks: AcknowledgedWrite[];
}

export interface Availability {
  /** Per fault kind, the longest window without an acknowledged write overlapping such a fault. */
  byKind: Record<string, QuietWindow>;
  /** The longest window that overlaps no fault (the baseline the faults are compared to). */
  outsideFaults: QuietWindow | null;
}

/** The acknowledged writes of a history: partition and completion time of every ok attempt. */
export function acknowledgedWrites(attempts: ProduceAttempt[]): AcknowledgedWrite[] {
  const acks: AcknowledgedWrite[] = [];
  for (const attempt of attempts) {
    if (attempt.outcome.type === "ok") acks.push({ topic: attempt.topic, partition: attempt.outcome.partition, at: attempt.endedAt });
  }
  return acks;
}

export function longestQuietWindows(input: AvailabilityInput): Availability {
  const { run } = input;
  const partitions = new Map<string, PartitionId>();
  const times = new Map<string, number[]>();
  for (const p of [...input.partitions, ...input.acks]) {
    const key = partitionKey(p.topic, p.partition);
    partitions.set(key, { topic: p.topic, partition: p.partition });
    if (!times.has(key)) times.set(key, []);
  }
  for (const ack of input.acks) if (ack.at > run.start && ack.at < run.end) times.get(partitionKey(ack.topic, ack.partition))!.push(ack.at);

  const faults = input.faults.map((fault) => ({ fault, start: fault.start, end: fault.end ?? run.end }));
  const byKind: Record<string, QuietWindow> = {};
  let outsideFaults: QuietWindow | null = null;
  for (const [key, id] of partitions) {
    const bounds = [run.start, ...times.get(key)!.sort((a, b) => a - b), run.end];
    for (let i = 1; i < bounds.length; i++) {
      const from = bounds[i - 1];
      const to = bounds[i];
      const window = { ...id, from, to, ms: to - from };
      // Overlap on an open interval: a write completing at the very moment a fault starts
      // or ends does not make the quiet window before or after it the fault's.
      const overlapping = faults.filter((f) => from < f.end && to > f.start);
      if (overlapping.length === 0) {
        if (outsideFaults === null || window.ms > outsideFaults.ms) outsideFaults = window;
        continue;
      }
      for (const { fault } of overlapping) {
        const best = byKind[fault.kind];
        if (best === undefined || window.ms > best.ms) byKind[fault.kind] = { ...window, fault };
      }
    }
  }
  return { byKind, outsideFaults };
}
