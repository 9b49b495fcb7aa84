import type { ClusterAnswer, MetadataAnswer, MetadataPartition } from "./types.ts";

/**
 * What the Overview shows, derived from /cluster and /metadata. Replication facts
 * (`isr`, `replicas`, fenced brokers, the quorum leader) are not in today's answers;
 * each is computed when present and null otherwise, so the page says "not reported"
 * rather than a made-up zero.
 */

export type BrokerState = "alive" | "unreachable" | "fenced";

export interface BrokerRow {
  id: number | null;
  address: string;
  state: BrokerState;
  controller: boolean;
  quorumLeader: boolean | null;
  self: boolean;
  partitionsLed: number;
  lastHeartbeatMs: number | null;
  diskBytes: number | null;
}

export interface Overview {
  brokers: BrokerRow[];
  topics: number;
  partitions: number;
  /** Partitions whose leader is not alive: no produce or consume until it returns. */
  offline: number;
  /** Partitions whose ISR is smaller than their replica set; null when the API reports no ISR. */
  underReplicated: number | null;
  warnings: string[];
}

function stateOf(b: ClusterAnswer["brokers"][number]): BrokerState {
  if (b.fenced === true) return "fenced";
  return b.alive ? "alive" : "unreachable";
}

function isUnderReplicated(p: MetadataPartition): boolean | null {
  if (p.isr === undefined || p.replicas === undefined) return null;
  return p.isr.length < p.replicas.length;
}

export function buildOverview(cluster: ClusterAnswer, metadata: MetadataAnswer): Overview {
  const led = new Map<number, number>();
  const alive = new Set<number>();
  for (const b of cluster.brokers) if (b.id !== null && b.alive && b.fenced !== true) alive.add(b.id);
  let partitions = 0;
  let offline = 0;
  let under = 0;
  let isrKnown = false;
  const topicNames = Object.keys(metadata.topic_partitions);
  for (const name of topicNames) {
    for (const p of metadata.topic_partitions[name].partitions) {
      partitions++;
      led.set(p.leader, (led.get(p.leader) ?? 0) + 1);
      if (!alive.has(p.leader)) offline++;
      const u = isUnderReplicated(p);
      if (u !== null) {
        isrKnown = true;
        if (u) under++;
      }
    }
  }
  const brokers: BrokerRow[] = cluster.brokers
    .map((b) => ({
      id: b.id,
      address: b.address,
      state: stateOf(b),
      controller: b.controller,
      quorumLeader: cluster.quorum_leader === undefined ? null : b.id === cluster.quorum_leader,
      self: b.self,
      partitionsLed: b.id === null ? 0 : (led.get(b.id) ?? 0),
      lastHeartbeatMs: b.last_heartbeat_ms,
      diskBytes: b.disk_bytes ?? null,
    }))
    .sort((a, b) => (a.id ?? Number.MAX_SAFE_INTEGER) - (b.id ?? Number.MAX_SAFE_INTEGER));
  const warnings: string[] = [];
  for (const b of brokers) {
    if (b.state === "alive") continue;
    const who = b.id === null ? b.address : `Broker ${b.id} (${b.address})`;
    warnings.push(`${who} is ${b.state}${b.partitionsLed > 0 ? `: it leads ${b.partitionsLed} partition${b.partitionsLed === 1 ? "" : "s"}` : ""}`);
  }
  if (offline > 0) warnings.push(`${offline} partition${offline === 1 ? " has" : "s have"} no live leader (offline)`);
  if (isrKnown && under > 0) warnings.push(`${under} partition${under === 1 ? " is" : "s are"} under-replicated`);
  return {
    brokers,
    topics: topicNames.length,
    partitions,
    offline,
    underReplicated: isrKnown ? under : null,
    warnings,
  };
}
