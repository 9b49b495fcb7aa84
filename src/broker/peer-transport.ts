import type { BrokerRef } from "../cluster/metadata.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { FetchRequest, FetchResult, ProduceMessage, ProduceOutcome, Tail, TailRequest } from "./types.ts";

/**
 * Where the cluster plugs into the broker. The broker asks "am I the leader of this
 * partition?" for every produce, fetch and tail; when it is not, it hands the call to a
 * `Forwarder` with the leader's address. A single broker leads everything, so the
 * default forwarder is never reached; the cluster layer supplies one that calls the
 * leader over keep-alive HTTP and answers 503 LEADER_UNAVAILABLE when it cannot.
 */

/** Who is in the cluster: placement is a pure function of `brokers()`. */
export interface BrokerDirectory {
  readonly self: BrokerRef;
  /** Every configured broker, self included (order does not matter). */
  brokers(): BrokerRef[];
}

export function singleBrokerDirectory(self: BrokerRef): BrokerDirectory {
  return { self, brokers: () => [self] };
}

/** Where one partition's log starts and ends on its leader. */
export interface PartitionRange {
  partition: number;
  startOffset: number;
  endOffset: number;
  sizeBytes: number;
}

export interface Forwarder {
  /** Produces `messages` (each with its partition set) on the leader of `partition`. */
  produce(leader: BrokerRef, topic: string, partition: number, messages: ProduceMessage[]): Promise<ProduceOutcome[]>;
  fetch(leader: BrokerRef, request: FetchRequest): Promise<FetchResult>;
  tail(leader: BrokerRef, request: TailRequest & { offset: number | undefined }): Promise<Tail>;
  /**
   * The ranges of the partitions of `topic` that `leader` leads, as it reports them (for
   * describing a topic). A forwarder without it leaves other leaders' ranges unknown.
   */
  offsets?(leader: BrokerRef, topic: string): Promise<PartitionRange[]>;
}

function unavailable(leader: BrokerRef, topic: string, partition: number): StreamNestError {
  return new StreamNestError(
    "LEADER_UNAVAILABLE",
    `partition ${partition} of topic "${topic}" is led by broker ${leader.id} at ${leader.address}, which this broker cannot reach`,
    { leader: leader.id, address: leader.address },
  );
}

/** What a broker without cluster support does with a partition it does not lead. */
export const noForwarder: Forwarder = {
  async produce(leader, topic, partition) {
    throw unavailable(leader, topic, partition);
  },
  async fetch(leader, request) {
    throw unavailable(leader, request.topic, request.partition);
  },
  async tail(leader, request) {
    throw unavailable(leader, request.topic, request.partition);
  },
};
