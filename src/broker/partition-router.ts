import { StreamNestError } from "../lib/errors.ts";
import type { BrokerRef } from "./metadata.ts";

/**
 * Where a partition call goes when this broker does not lead the partition: the one
 * decision every produce, fetch and tail makes. Each adapter picks its policy:
 *
 * - `FORWARD`: send the call to the leader and hand back its answer (the HTTP adapter:
 *   any broker answers any route).
 * - `REFUSE`: NOT_LEADER_OR_FOLLOWER naming the leader, as a Kafka broker answers; the
 *   client refreshes its metadata and asks the leader itself.
 * - `servedForwarded(from)`: a call another broker forwarded here is served here or not
 *   at all: if this broker's metadata names yet another leader (brokers briefly
 *   disagreeing after a topic was deleted and created again), LEADER_UNAVAILABLE instead
 *   of bouncing the call between brokers.
 *
 * A partition this broker leads is always served locally.
 */
export interface RoutingPolicy {
  /**
   * Returns "forward" to send the call on, or throws the refusal. `leaderLive` is false
   * when this broker counts the leader down (fenced, or not answering).
   */
  notLeader(leader: BrokerRef, topic: string, partition: number, leaderLive: boolean): "forward";
  /**
   * A produce under this policy rides through leader changes (produce-routing.ts): it
   * waits for an election, and records without key or partition skip partitions whose
   * leader is down. Set for the HTTP adapter only: a Kafka client and a forwarding broker
   * retry on their own.
   */
  readonly waitsForLeader?: boolean;
}

export function partitionName(topic: string, partition: number): string {
  return `partition ${partition} of topic "${topic}"`;
}

export const FORWARD: RoutingPolicy = {
  notLeader: () => "forward",
  waitsForLeader: true,
};

/**
 * Kafka's answers: a live leader elsewhere is NOT_LEADER_OR_FOLLOWER; a leader that is
 * down is LEADER_NOT_AVAILABLE (the partition has no leader to name), and in both the
 * client refreshes its metadata and retries.
 */
export const REFUSE: RoutingPolicy = {
  notLeader(leader, topic, partition, leaderLive) {
    if (!leaderLive)
      throw new StreamNestError(
        "LEADER_UNAVAILABLE",
        `${partitionName(topic, partition)} has no leader available: its leader, broker ${leader.id} (${leader.address}), is down`,
        { leader: leader.id, broker: leader.address },
      );
    throw new StreamNestError(
      "NOT_LEADER_OR_FOLLOWER",
      `${partitionName(topic, partition)} is led by broker ${leader.id} (${leader.address}), not this one`,
      { leader: leader.id, broker: leader.address },
    );
  },
};

/** The policy for a call that broker `from` (null: it did not say) forwarded here. */
export function servedForwarded(from: number | null): RoutingPolicy {
  return {
    notLeader(leader, topic, partition) {
      throw new StreamNestError(
        "LEADER_UNAVAILABLE",
        `${partitionName(topic, partition)} was forwarded here${from === null ? "" : ` by broker ${from}`}, but this broker's metadata says broker ${leader.id} (${leader.address}) leads it; the brokers' metadata disagree for a moment, retry`,
        { leader: leader.id, broker: leader.address },
      );
    },
  };
}

/**
 * The leader to forward to, or undefined when `self` leads the partition (served
 * locally); a policy that refuses throws. `leaderOf` is only asked off the local path.
 */
export function routePartition(
  self: number,
  leaderId: number,
  leaderOf: (id: number) => BrokerRef,
  topic: string,
  partition: number,
  policy: RoutingPolicy,
  leaderLive = true,
): BrokerRef | undefined {
  if (leaderId === self) return undefined;
  const leader = leaderOf(leaderId);
  policy.notLeader(leader, topic, partition, leaderLive);
  return leader;
}
