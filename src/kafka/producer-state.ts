import { KAFKA_LIMITS } from "../config/kafka.ts";
import { ArrivalQueue, type Queued } from "../lib/arrival-queue.ts";

/**
 * Idempotent producers (KIP-98): per producer id, epoch and partition, the sequence
 * numbers of the last batches written. A batch whose sequence continues the last one is
 * written; a retry of one of the last five (Kafka keeps as many, matching
 * max.in.flight.requests.per.connection ≤ 5) is answered with its original offset and
 * not written again; anything else is OUT_OF_ORDER_SEQUENCE_NUMBER. A newer epoch
 * starts over at sequence 0; an older one is INVALID_PRODUCER_EPOCH (fenced).
 *
 * The state is in memory and kept per leader epoch: after a broker restart, or once the
 * partition's leadership moved, a producer's first batch is taken at whatever sequence it carries (Kafka rebuilds it from the log's batch headers, which
 * StreamNest's storage does not keep). At most `maxStates` (producer, partition) states
 * are kept, the least recently written dropped first (Kafka expires them after
 * producer.id.expiration.ms); a dropped producer's next batch is taken as after a restart.
 */

const KEPT_BATCHES = 5;

interface WrittenBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
  lastOffset: number;
}

interface PartitionSequences extends Queued {
  readonly key: string;
  epoch: number;
  /** The partition's leader epoch the batches were written in. */
  leaderEpoch: number;
  batches: WrittenBatch[];
}

export type SequenceCheck =
  | { kind: "write" }
  | { kind: "duplicate"; baseOffset: number; lastOffset: number }
  | { kind: "out-of-order"; expected: number }
  | { kind: "fenced"; currentEpoch: number };

export class ProducerStates {
  private readonly partitions = new Map<string, PartitionSequences>();
  /** The states, least recently written first (a Map's own order made its oldest slow to find: lib/arrival-queue.ts). */
  private readonly byWrite = new ArrivalQueue<PartitionSequences>();
  private next: bigint;

  constructor(
    brokerId: number,
    private readonly maxStates = KAFKA_LIMITS.maxProducerStates.value,
  ) {
    // Unique across brokers (the id in the high bits) and across restarts (the clock).
    this.next = (BigInt(brokerId) << 44n) + BigInt(Date.now()) * 16n;
  }

  allocate(): bigint {
    return this.next++;
  }

  /**
   * `leaderEpoch`: the partition's leader epoch now. State written in another one is no
   * guide: this broker led the partition before and leads it again (a preferred leader
   * back), and meanwhile another leader took batches this state never saw; the producer's
   * next batch is then taken at whatever sequence it carries, as after a restart. Judged by
   * that stale state, every batch was OUT_OF_ORDER_SEQUENCE_NUMBER, which librdkafka
   * treats as fatal (a tester's idempotent producer died on every failover).
   */
  check(producerId: bigint, epoch: number, topic: string, partition: number, firstSeq: number, leaderEpoch = 0): SequenceCheck {
    const state = this.partitions.get(keyOf(producerId, topic, partition));
    if (!state || state.leaderEpoch !== leaderEpoch) return { kind: "write" };
    if (epoch < state.epoch) return { kind: "fenced", currentEpoch: state.epoch };
    if (epoch > state.epoch) return firstSeq === 0 ? { kind: "write" } : { kind: "out-of-order", expected: 0 };
    const dup = state.batches.find((b) => b.firstSeq === firstSeq);
    if (dup) return { kind: "duplicate", baseOffset: dup.baseOffset, lastOffset: dup.lastOffset };
    const last = state.batches[state.batches.length - 1];
    const expected = last === undefined ? 0 : nextSeq(last.lastSeq);
    return firstSeq === expected ? { kind: "write" } : { kind: "out-of-order", expected };
  }

  /**
   * Records a batch written at `baseOffset` (after check said "write"), once it is in the
   * leader's log and before its replicas confirm it, as Kafka updates a producer's state
   * on append (KIP-98): a retry after an acks=all timeout is then known as a duplicate,
   * and the producer's next batch continues the sequence rather than being
   * OUT_OF_ORDER_SEQUENCE_NUMBER (fatal to librdkafka).
   */
  written(producerId: bigint, epoch: number, topic: string, partition: number, firstSeq: number, count: number, baseOffset: number, leaderEpoch = 0): void {
    const key = keyOf(producerId, topic, partition);
    let state = this.partitions.get(key);
    if (!state || state.epoch !== epoch || state.leaderEpoch !== leaderEpoch) {
      if (state) this.byWrite.remove(state);
      state = { key, epoch, leaderEpoch, batches: [], slot: -1 };
      this.partitions.set(key, state);
    }
    this.byWrite.push(state);
    if (this.byWrite.size > this.maxStates) {
      const oldest = this.byWrite.oldest() as PartitionSequences;
      this.byWrite.remove(oldest);
      this.partitions.delete(oldest.key);
    }
    state.batches.push({ firstSeq, lastSeq: (firstSeq + count - 1) % 0x80000000, baseOffset, lastOffset: baseOffset + count - 1 });
    if (state.batches.length > KEPT_BATCHES) state.batches.shift();
  }

  /** (producer, partition) states kept. */
  get size(): number {
    return this.partitions.size;
  }
}

/** Sequences wrap at int32's top back to 0 (KIP-98). */
function nextSeq(seq: number): number {
  return seq === 0x7fffffff ? 0 : seq + 1;
}

function keyOf(producerId: bigint, topic: string, partition: number): string {
  return `${producerId}\u0000${topic}\u0000${partition}`;
}
