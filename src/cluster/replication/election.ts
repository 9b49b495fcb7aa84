import type { PartitionRegistration } from "./types.ts";

/**
 * Leader elections as pure functions of a partition's registration (Kafka's
 * PartitionChangeBuilder): a new leader comes from the ISR, in replica order (so the
 * preferred replica wins when it can), with the leader and partition epochs bumped. A
 * replica outside the ISR is chosen only with `unclean` (--unclean-leader-election):
 * it may lack acknowledged records (KIP-966 explains why even the last ISR member
 * standing must not be dropped from the ISR).
 */

export interface ElectionInput {
  registration: PartitionRegistration;
  isAlive: (broker: number) => boolean;
  unclean?: boolean;
}

/**
 * After broker `dead` was declared down: the registration with it out of the ISR and a
 * new leader if it led; null when nothing changes. When no live ISR member is left, the
 * ISR keeps its last member and the leader stays (the partition is offline) unless
 * `unclean` allows a live replica outside the ISR.
 */
export function afterBrokerDown(dead: number, { registration: r, isAlive, unclean = false }: ElectionInput): PartitionRegistration | null {
  if (!r.replicas.includes(dead)) return null;
  const liveIsr = r.isr.filter((b) => b !== dead && isAlive(b));
  if (r.leader !== dead) {
    if (!r.isr.includes(dead) || liveIsr.length === 0) return null;
    return { ...r, isr: r.isr.filter((b) => b !== dead), partitionEpoch: r.partitionEpoch + 1 };
  }
  const leader = r.replicas.find((b) => liveIsr.includes(b));
  if (leader !== undefined) return electedAs(r, leader, r.isr.filter((b) => b !== dead));
  if (!unclean) return null;
  const any = r.replicas.find((b) => b !== dead && isAlive(b));
  return any === undefined ? null : electedAs(r, any, [any]);
}

/** Kafka's preferred-leader rebalance: leadership back to the first replica once it is in the ISR. */
export function preferredLeader({ registration: r, isAlive }: ElectionInput): PartitionRegistration | null {
  const preferred = r.replicas[0];
  if (preferred === r.leader || !r.isr.includes(preferred) || !isAlive(preferred)) return null;
  return electedAs(r, preferred, [...r.isr]);
}

function electedAs(r: PartitionRegistration, leader: number, isr: number[]): PartitionRegistration {
  return { replicas: [...r.replicas], isr, leader, leaderEpoch: r.leaderEpoch + 1, partitionEpoch: r.partitionEpoch + 1 };
}
