import { CLIENT_LIMITS } from "../config/client.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { StreamNestClient } from "./client.ts";
import type { RecordView } from "./types.ts";

/**
 * Reading one partition for as long as the caller wants, through brokers dying and
 * leaders moving (issue 12: the consumer of all partitions keeps printing the healthy
 * ones while one is unavailable and resumes the other when it returns). Each read is a
 * long poll from the next offset; a read the cluster could not serve (no leader, a
 * broker restarting, a timeout) is retried with a growing pause, from the same offset,
 * so records come out once each, in order, with no gap: the offset moves only with an
 * answer. Where to start (the oldest record, the end) is looked up the same way, so a
 * partition that is down at start begins once it is back.
 */

export type StartAt = { from: "beginning" } | { from: "latest" } | { from: "offset"; offset: number };

export interface FollowEvents {
  /** A read failed and will be retried; `first` is true for the first failure of a run. */
  retrying?(error: StreamNestError, first: boolean): void;
  /** A read succeeded after failures. */
  recovered?(): void;
  /** Records from `from` to `to - 1` were deleted by retention before they were read; reading goes on at `to`. */
  skipped?(from: number, to: number): void;
}

export interface FollowOptions {
  start: StartAt;
  /** Ends the reading (the generator returns). */
  signal: AbortSignal;
  /** Records one read asks for. */
  max?: number;
  /** Stop at the end the partition had when reached (kcat's -e) instead of following it. */
  exitAtEnd?: boolean;
  /** How long one read may wait at the broker for new records. */
  longPollMs?: number;
  events?: FollowEvents;
  retryFirstMs?: number;
  retryMaxMs?: number;
}

/** The pause before the next retry: the first one, then doubling up to the maximum. */
export function nextRetryMs(previousMs: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, previousMs <= 0 ? firstMs : previousMs * 2);
}

/** The partition's range carried by an OFFSET_OUT_OF_RANGE refusal. */
export function offsetRange(error: unknown): { start: number; end: number } | undefined {
  if (!(error instanceof StreamNestError) || error.code !== "OFFSET_OUT_OF_RANGE") return undefined;
  const details = error.details as { startOffset?: unknown; endOffset?: unknown } | undefined;
  if (typeof details?.startOffset !== "number" || typeof details.endOffset !== "number") return undefined;
  return { start: details.startOffset, end: details.endOffset };
}

/**
 * A partition's first kept and next offsets, from the broker that leads it (a read
 * answers with both, wherever the partition lives; a describe knows only its own).
 */
export async function partitionBounds(
  client: StreamNestClient,
  topic: string,
  partition: number,
  signal?: AbortSignal,
): Promise<{ start: number; end: number }> {
  try {
    const read = await client.readRecords(topic, partition, { offset: 0, max: 1, signal });
    return { start: read.start_offset, end: read.end_offset };
  } catch (error) {
    const range = offsetRange(error);
    if (range) return range;
    throw error;
  }
}

/**
 * Batches of records of one partition in offset order, until the signal aborts (or,
 * with exitAtEnd, the end is reached). Throws what retrying cannot mend: the topic or
 * partition gone, an offset past the end.
 */
export async function* followPartition(
  client: StreamNestClient,
  topic: string,
  partition: number,
  options: FollowOptions,
): AsyncGenerator<RecordView[], void, undefined> {
  const { signal, events } = options;
  const firstMs = options.retryFirstMs ?? CLIENT_LIMITS.retryFirstMs.value;
  const maxMs = options.retryMaxMs ?? CLIENT_LIMITS.retryMaxMs.value;
  const longPollMs = options.exitAtEnd === true ? 0 : (options.longPollMs ?? CLIENT_LIMITS.longPollMs.value);
  let offset: number | undefined = options.start.from === "offset" ? options.start.offset : undefined;
  let retryMs = 0;
  while (!signal.aborted) {
    let records: RecordView[] = [];
    let end: number;
    try {
      if (offset === undefined) {
        const bounds = await partitionBounds(client, topic, partition, signal);
        // The oldest offset may be past 0 once retention has deleted old segments.
        offset = options.start.from === "latest" ? bounds.end : bounds.start;
        end = bounds.end;
      } else {
        const answer = await client.readRecords(topic, partition, { offset, max: options.max, timeoutMs: longPollMs, signal });
        records = answer.records;
        offset = answer.next_offset;
        end = answer.end_offset;
      }
    } catch (error) {
      if (signal.aborted) return;
      const range = offsetRange(error);
      // Retention deleted what was not read yet: go on from the oldest record kept, as
      // Kafka's auto.offset.reset=earliest does.
      if (range && offset !== undefined && offset < range.start) {
        events?.skipped?.(offset, range.start);
        offset = range.start;
        continue;
      }
      if (range)
        throw new StreamNestError(
          "OFFSET_OUT_OF_RANGE",
          `offset ${offset} is past the end of ${topic} partition ${partition} (next offset: ${range.end})`,
          { startOffset: range.start, endOffset: range.end },
        );
      if (!(error instanceof StreamNestError) || !error.retriable) throw error;
      events?.retrying?.(error, retryMs === 0);
      retryMs = nextRetryMs(retryMs, firstMs, maxMs);
      await pause(retryMs, signal);
      continue;
    }
    if (retryMs > 0) events?.recovered?.();
    retryMs = 0;
    if (records.length > 0) yield records;
    if (options.exitAtEnd === true && offset >= end) return;
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
