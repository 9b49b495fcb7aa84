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

/**
 * This broker (`self`) lost its copy with its disk (KIP-966): the registration without it
 * in the ISR, and, if it led, with the first live replica of the remaining ISR leading in
 * a new epoch. Null when no other ISR member is left (the partition stays offline rather
 * than count an empty copy as in sync).
 */
export function withoutLostCopy(self: number, { registration: r, isAlive }: ElectionInput): PartitionRegistration | null {
  const others = r.isr.filter((b) => b !== self);
  if (others.length === 0 || !r.isr.includes(self)) return null;
  if (r.leader !== self) return { ...r, isr: others, partitionEpoch: r.partitionEpoch + 1 };
  return electedAs(r, r.replicas.find((b) => others.includes(b) && isAlive(b)) ?? others[0], others);
}

function electedAs(r: PartitionRegistration, leader: number, isr: number[]): PartitionRegistration {
  return { replicas: [...r.replicas], isr, leader, leaderEpoch: r.leaderEpoch + 1, partitionEpoch: r.partitionEpoch + 1 };
}
