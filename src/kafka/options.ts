import type { TlsMaterial } from "../lib/tls-material.ts";

/** What the Kafka adapter runs with (read from src/config/kafka.ts by the node). */
export interface KafkaOptions {
  host: string;
  /** A port, or 0 for a free one (the server reports which). */
  port: number;
  /** host:port Metadata names for this broker; a port of 0 stands for the bound port. */
  advertise: string;
  maxRequestBytes: number;
  maxConnections: number;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  /** TLS for every connection (Kafka's SSL listener); none: plaintext. */
  tls?: TlsMaterial;
}

/** host and port of "host:port" (IPv6 in brackets). */
export function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(":");
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, "$1");
  return { host, port: Number(address.slice(at + 1)) };
}
