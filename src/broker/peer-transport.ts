import { StreamNestError } from "../lib/errors.ts";
import type { GroupCall } from "./group-calls.ts";
import type { BrokerRef } from "./metadata.ts";
import type { FetchQuery, FetchResult, PartitionRange, ProduceOutcome, ProduceRecord, Tail, TailQuery } from "./types.ts";

/**
 * Where the cluster plugs into the core: who the brokers are, and how a call reaches
 * another broker. The core declares these; the cluster implements them (over HTTP today,
 * see cluster/partition-forwarder.ts), so the core never sees a socket or a route.
 */

/** Who is in the cluster: placement is a pure function of `brokers()`. */
export interface BrokerDirectory {
  readonly self: BrokerRef;
  /** Every configured broker, self included (order does not matter). */
  brokers(): BrokerRef[];
  /** The one of brokers() with this id, found without building the list (a follower asks per fetch). */
  brokerOf?(id: number): BrokerRef | undefined;
  /**
   * False while this broker counts `id` down (missed heartbeats, a refused call), so a
   * produce can skip or wait for its partitions; absent: every broker counts as up.
   */
  isAlive?(id: number): boolean;
}

export function singleBrokerDirectory(self: BrokerRef): BrokerDirectory {
  return { self, brokers: () => [self] };
}

/** Calls from this broker to another one. */
export interface PeerTransport {
  /**
   * Appends `records` (each with its partition set) on the leader of `partition`.
   * `awaitsReplicas`: the leader will hold the answer until the partition's in-sync
   * replicas have the records (acks=all on a replicated partition), so the call must
   * wait longer than the leader does (REPLICATION_LIMITS.produceAckTimeoutMs).
   */
  produce(leader: BrokerRef, topic: string, partition: number, records: ProduceRecord[], awaitsReplicas?: boolean): Promise<ProduceOutcome[]>;
  fetch(leader: BrokerRef, request: FetchQuery): Promise<FetchResult>;
  tail(leader: BrokerRef, request: TailQuery): Promise<Tail>;
  /** The ranges of the partitions of `topic` that `leader` leads, as it reports them. */
  partitionRanges(leader: BrokerRef, topic: string): Promise<PartitionRange[]>;
  /**
   * The ranges of every partition `leader` leads, by topic, in one call. Optional: a
   * transport without it is asked topic by topic (partitionRanges).
   */
  allPartitionRanges?(leader: BrokerRef): Promise<Map<string, PartitionRange[]>>;
  /**
   * Runs a group call on broker `target` (its coordinator) and resolves with its answer;
   * the target's refusal comes back as the same StreamNestError. `waitMs` is how long the
   * target may legitimately hold the call (a join waiting for the rest of its group).
   */
  group<T>(target: BrokerRef, call: GroupCall, waitMs: number): Promise<T>;
}

function unreachable(leader: BrokerRef, what: string): StreamNestError {
  return new StreamNestError(
    "LEADER_UNAVAILABLE",
    `${what} is led by broker ${leader.id} at ${leader.address}, which this broker cannot reach`,
    { leader: leader.id, address: leader.address },
  );
}

const partitionOf = (topic: string, partition: number): string => `partition ${partition} of topic "${topic}"`;

/** What a broker without cluster support does with a call for another broker. */
export const noPeerTransport: PeerTransport = {
  async produce(leader, topic, partition) {
    throw unreachable(leader, partitionOf(topic, partition));
  },
  async fetch(leader, request) {
    throw unreachable(leader, partitionOf(request.topic, request.partition));
  },
  async tail(leader, request) {
    throw unreachable(leader, partitionOf(request.topic, request.partition));
  },
  async partitionRanges() {
    return [];
  },
  async group(target) {
    throw new StreamNestError(
      "NOT_COORDINATOR",
      `the coordinator is broker ${target.id} at ${target.address}, and this broker has no cluster connection to reach it`,
      { coordinator: target.id, address: target.address },
    );
  },
};
