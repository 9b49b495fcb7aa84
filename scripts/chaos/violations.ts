import type { Place, RunRead } from "./history.ts";

/**
 * Everything the checker can find wrong in a history, each with the details needed to
 * go and look (attempt ids, places, brokers) and a one-line `message` for the console.
 * The kinds follow Jepsen's Kafka checker (lost writes, duplicates, inconsistent
 * offsets, reads of values that later vanish) plus the replica checks of issue 12.
 */
export type Violation =
  /** The history itself is unusable (the harness's bug, not the broker's). */
  | { kind: "invalid-history"; message: string; attempts: string[] }
  /** An acknowledged value is nowhere in the final committed log. */
  | { kind: "lost"; message: string; attempt: string; value: string; acked: Place; foundThere: string | null; aboveHighWatermark: boolean }
  /** An acknowledged value is in the final log, but not at the offset it was acknowledged at. */
  | { kind: "wrong-offset"; message: string; attempt: string; value: string; acked: Place; foundAt: Place[] }
  /** More copies of a value than attempts that could have written it (ok or unknown ones). */
  | { kind: "duplicate"; message: string; value: string; copies: Place[]; okAttempts: string[]; unknownAttempts: string[] }
  /** A value whose every attempt was refused as not written is in the log anyway. */
  | { kind: "failed-write-present"; message: string; value: string; copies: Place[]; attempts: string[] }
  /** A value in the log that no attempt produced. */
  | { kind: "unexpected-value"; message: string; value: string; copies: Place[] }
  /** A value in (or acknowledged for) a topic or partition none of its attempts asked for. */
  | { kind: "misplaced"; message: string; value: string; at: Place; attempts: string[] }
  /** One offset seen holding two different values (acks, reads during the run, final log). */
  | { kind: "inconsistent-offset"; message: string; place: Place; values: { value: string; seenBy: string[] }[] }
  /** A value read during the run that is nowhere in the final committed log. */
  | { kind: "phantom-read"; message: string; read: RunRead }
  /** A value read during the run that is in the final log at another offset. */
  | { kind: "moved-read"; message: string; read: RunRead; foundAt: Place[] }
  /** A replica whose log differs from the partition's below the high watermark. */
  | {
      kind: "divergent";
      message: string;
      topic: string;
      partition: number;
      broker: string;
      reference: string;
      firstOffset: number;
      expected: string | null;
      found: string | null;
      differingOffsets: number;
    }
  /** A replica's offsets are not 0, 1, 2, … (a hole, a repeat, or a log shorter than its high watermark). */
  | { kind: "gap"; message: string; topic: string; partition: number; broker: string; expectedOffset: number; foundOffset: number | null };

export type ViolationKind = Violation["kind"];

export const VIOLATION_KINDS: readonly ViolationKind[] = [
  "invalid-history",
  "lost",
  "wrong-offset",
  "duplicate",
  "failed-write-present",
  "unexpected-value",
  "misplaced",
  "inconsistent-offset",
  "phantom-read",
  "moved-read",
  "divergent",
  "gap",
];

export function placeText(place: Place): string {
  return `${place.topic}/${place.partition}@${place.offset}`;
}

export function placesText(places: Place[]): string {
  return places.length === 0 ? "nowhere" : places.map(placeText).join(", ");
}
