import { FETCH_MAX_RECORDS_LIMIT } from "../broker/fetch.ts";
import type { FrameFetchResult } from "../broker/fetch-frames.ts";
import { ReadMemory } from "./buffer-pool.ts";
import type { ConnectionInfo, KafkaContext } from "./context.ts";

/**
 * Read-ahead for a consumer reading one partition in order. librdkafka keeps one Fetch in
 * flight per broker, so a consumer's pace was the broker's read of a megabyte plus the
 * client's parsing of it, one after the other: measured on 1,000,000 × 100 B, the broker
 * busy about half of the consume's wall time. Once a single-partition Fetch is answered
 * with records and more are there, the next range is read (and its frames checked) right
 * after the answer is written, while the client takes that answer in; its next Fetch,
 * asking for exactly that offset, finds the read done.
 *
 * What was read ahead is served only to the connection's very next Fetch, and only when
 * it asks for the same topic, partition, offset and byte limit and a fresh look at that
 * offset shows the same incarnation (topic id and leader epoch: a leader's log is not
 * rewritten below its high watermark within one epoch, KIP-101) with the read still
 * within the log's bounds; the fresh look also applies leadership, authorization having
 * been checked for the request. Anything else drops it, uncounted (metrics count what
 * is served). At most MAX_AHEAD_BYTES are read ahead for all connections together, so
 * many consumers with a backlog do not each hold a megabyte for the broker.
 */

/** Byte limits of the reads ahead not yet served or dropped, summed over every connection. */
const MAX_AHEAD_BYTES = 32 * 1024 * 1024;
let aheadBytes = 0;

export interface AheadQuery {
  topic: string;
  partition: number;
  offset: number;
  /** The partition's byte limit as the read is made. */
  maxBytes: number;
}

interface Ahead {
  readonly key: string;
  /** Counted in aheadBytes until dropped. */
  readonly bytes: number;
  /** The pooled buffers the read took. */
  readonly memory: ReadMemory;
  result?: FrameFetchResult;
}

const AHEAD = new WeakMap<ConnectionInfo, Ahead>();
/** Connections whose close drops what was read ahead for them. */
const WATCHED = new WeakSet<ConnectionInfo>();

function drop(conn: ConnectionInfo): Ahead | undefined {
  const ahead = AHEAD.get(conn);
  if (ahead === undefined) return undefined;
  AHEAD.delete(conn);
  aheadBytes -= ahead.bytes;
  return ahead;
}

function keyOf(q: AheadQuery): string {
  return `${q.topic}\u0000${q.partition}\u0000${q.offset}\u0000${q.maxBytes}`;
}

/** Reads `q` for the connection's next Fetch, once the answer being written has gone out. */
export function readAhead(ctx: KafkaContext, conn: ConnectionInfo, q: AheadQuery): void {
  drop(conn);
  if (aheadBytes + q.maxBytes > MAX_AHEAD_BYTES || conn.closed.aborted) return;
  if (!WATCHED.has(conn)) {
    WATCHED.add(conn);
    conn.closed.addEventListener("abort", () => drop(conn), { once: true });
  }
  const ahead: Ahead = { key: keyOf(q), bytes: q.maxBytes, memory: new ReadMemory() };
  AHEAD.set(conn, ahead);
  aheadBytes += ahead.bytes;
  // setImmediate: after the answer in hand is encoded and written (both run before it).
  setImmediate(() => {
    if (AHEAD.get(conn) !== ahead || conn.closed.aborted || ctx.lifetime.aborted) return;
    ctx.broker
      .fetchFrames({ topic: q.topic, partition: q.partition, offset: q.offset, maxRecords: FETCH_MAX_RECORDS_LIMIT, maxBytes: q.maxBytes, memory: ahead.memory.take, uncounted: true })
      .then(
        (result) => {
          if (AHEAD.get(conn) === ahead) ahead.result = result;
        },
        () => {
          if (AHEAD.get(conn) === ahead) drop(conn);
        },
      );
  });
}

/**
 * What was read ahead for `q`, counted as consumed and with the log's bounds as they are
 * now, with the pooled buffers it took (to give back once written); undefined when
 * nothing usable was (see the top of this file). Whatever was read ahead for this
 * connection is dropped either way. Throws as a read of `q` would (the partition moved,
 * its offset went out of range).
 */
export async function takeAhead(ctx: KafkaContext, conn: ConnectionInfo, q: AheadQuery): Promise<{ read: FrameFetchResult; memory: ReadMemory } | undefined> {
  const ahead = drop(conn);
  if (ahead === undefined) return undefined;
  const read = ahead.result;
  if (read === undefined || ahead.key !== keyOf(q) || read.frames.count === 0) return undefined;
  const now = await ctx.broker.fetchFrames({ topic: q.topic, partition: q.partition, offset: q.offset, maxRecords: 1, maxBytes: 1, uncounted: true });
  if (now.incarnation !== read.incarnation || now.startOffset > q.offset || read.frames.firstOffset + read.frames.count > now.endOffset) return undefined;
  read.count();
  return { read: { ...read, startOffset: now.startOffset, endOffset: now.endOffset }, memory: ahead.memory };
}
