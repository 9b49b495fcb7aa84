import { REFUSE } from "../../broker/partition-router.ts";
import { requireTopic } from "../authorization.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import { checkCurrentLeaderEpoch } from "./current-leader-epoch.ts";
import { knownIsolationLevel } from "./isolation-level.ts";

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
/** Records read per step of a timestamp search. */
const SCAN_RECORDS = 5000;

/**
 * ListOffsets: the earliest offset (-2), the latest (-1, the high watermark), the offset
 * of the newest timestamp (-3, KIP-734), or the first offset whose timestamp is at or
 * after a given one (-1 when none is). v0 answers in its old-style offsets array.
 */
export async function handleListOffsets(ctx: KafkaContext, { body, version, conn }: Call<"ListOffsets">) {
  const duplicated = duplicatePartitions(body.topics);
  const topics = await Promise.all(
    body.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitions.map(async (p) => {
          // As Kafka's handler: every entry of a partition named more than once is
          // INVALID_REQUEST, and none is looked up (a timestamp search reads the log, and a
          // request naming one partition 2,000 times stalled the broker for minutes).
          if (duplicated.has(`${t.name}\u0000${p.partitionIndex}`) || !knownIsolationLevel(body.isolationLevel))
            return { partitionIndex: p.partitionIndex, errorCode: KAFKA_ERROR.INVALID_REQUEST, oldStyleOffsets: [], timestamp: -1n, offset: -1n };
          try {
            requireTopic(ctx, conn, "DESCRIBE", t.name);
            checkCurrentLeaderEpoch(ctx, t.name, p.partitionIndex, p.currentLeaderEpoch);
            const { offset, timestamp } = await lookup(ctx, t.name, p.partitionIndex, p.timestamp);
            return {
              partitionIndex: p.partitionIndex,
              errorCode: KAFKA_ERROR.NONE,
              oldStyleOffsets: version === 0 ? [offset] : [],
              timestamp,
              offset,
              leaderEpoch: leaderEpochOf(ctx, t.name, p.partitionIndex),
            };
          } catch (error) {
            return { partitionIndex: p.partitionIndex, errorCode: kafkaErrorCode(error), oldStyleOffsets: [], timestamp: -1n, offset: -1n };
          }
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
}

/** "topic\0partition" of each partition the request names more than once (Kafka's ListOffsetsRequest.duplicatePartitions). */
function duplicatePartitions(topics: Call<"ListOffsets">["body"]["topics"]): Set<string> {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const t of topics)
    for (const p of t.partitions) {
      const key = `${t.name}\u0000${p.partitionIndex}`;
      if (seen.has(key)) twice.add(key);
      else seen.add(key);
    }
  return twice;
}

async function lookup(ctx: KafkaContext, topic: string, partition: number, wanted: bigint): Promise<{ offset: bigint; timestamp: bigint }> {
  // An empty peek at offset 0 … would be out of range past retention; ask the range first.
  const head = await ctx.broker.fetch({ topic, partition, offset: 0, maxRecords: 1, maxBytes: 1, peek: true }, REFUSE).catch((error: unknown) => {
    const range = (error as { details?: { startOffset?: number } }).details;
    if (range?.startOffset === undefined) throw error;
    return ctx.broker.fetch({ topic, partition, offset: range.startOffset, maxRecords: 1, maxBytes: 1, peek: true }, REFUSE);
  });
  const { startOffset, endOffset } = head;
  if (wanted === EARLIEST) return { offset: BigInt(startOffset), timestamp: -1n };
  if (wanted === LATEST) return { offset: BigInt(endOffset), timestamp: -1n };
  // A linear scan: the log's index is by offset only. Fine for the sizes StreamNest's
  // logs are asked this of (a consumer's offsetsForTimes once at start).
  let best: { offset: bigint; timestamp: bigint } = { offset: -1n, timestamp: -1n };
  for (let at = startOffset; at < endOffset; ) {
    const read = await ctx.broker.fetch({ topic, partition, offset: at, maxRecords: SCAN_RECORDS, maxBytes: 16 * 1024 * 1024, peek: true }, REFUSE);
    if (read.records.length === 0) break;
    for (const r of read.records) {
      const ts = BigInt(r.timestamp);
      if (wanted === MAX_TIMESTAMP) {
        if (ts >= best.timestamp) best = { offset: BigInt(r.offset), timestamp: ts };
      } else if (ts >= wanted) return { offset: BigInt(r.offset), timestamp: ts };
    }
    at = read.nextOffset;
  }
  return best;
}

function leaderEpochOf(ctx: KafkaContext, topic: string, partition: number): number {
  return ctx.broker.describeTopic(topic).partitions[partition]?.leaderEpoch ?? -1;
}
