import type { TlsMaterial } from "../lib/tls-material.ts";

/**
 * One more named listener (Kafka's listeners and advertised.listeners, KIP-103): clients
 * connected to it are told every broker's address for this name.
 */
export interface KafkaListener {
  name: string;
  host: string;
  /** A port, or 0 for a free one. */
  port: number;
  /** host:port Metadata names for this broker on this listener; a port of 0 stands for the bound port. */
  advertise: string;
}

export { DEFAULT_LISTENER_NAME } from "../config/kafka-listeners.ts";

/** What the Kafka adapter runs with (read from src/config/kafka.ts by the node). */
export interface KafkaOptions {
  /** The first listener: */
  host: string;
  /** A port, or 0 for a free one (the server reports which). */
  port: number;
  /** host:port Metadata names for this broker; a port of 0 stands for the bound port. */
  advertise: string;
  /** Its name; default DEFAULT_LISTENER_NAME. */
  listenerName?: string;
  /** Further listeners, each advertising its own address. */
  moreListeners?: KafkaListener[];
  maxRequestBytes: number;
  maxConnections: number;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  /** A SASL session's lifetime (KIP-368), after which the client must re-authenticate; 0 or absent: none. */
  reauthMs?: number;
  /** A new classic group's wait for more members before its first generation (Kafka's group.initial.rebalance.delay.ms); default 300. */
  groupInitialRebalanceDelayMs?: number;
  /** TLS for every connection (Kafka's SSL listener); none: plaintext. */
  tls?: TlsMaterial;
}

/** host and port of "host:port" (IPv6 in brackets). */
export function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(":");
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, "$1");
  return { host, port: Number(address.slice(at + 1)) };
}
