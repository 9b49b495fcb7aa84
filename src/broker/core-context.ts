import type { BrokerMetrics } from "../metrics/metrics.ts";
import type { SchemaRegistry } from "../schema/registry.ts";
import type { BrokerConfig } from "./config.ts";
import type { LogLeases } from "./log-leases.ts";
import type { BrokerRef } from "./metadata.ts";
import type { MetadataProposer } from "./metadata-proposer.ts";
import type { MetadataStore } from "./metadata-store.ts";
import type { BrokerDirectory, PeerTransport } from "./peer-transport.ts";
import type { TopicCatalog } from "./topic-catalog.ts";

/**
 * The state every request kind of the core works on (produce.ts, fetch.ts, tail.ts,
 * topic-admin.ts, retention.ts …), one file per kind over this shared state, after
 * franz-go's kfake. Built once by the Broker (broker.ts).
 */
export interface CoreContext {
  readonly config: BrokerConfig;
  readonly metrics: BrokerMetrics;
  readonly metadata: MetadataStore;
  readonly proposer: MetadataProposer;
  readonly catalog: TopicCatalog;
  readonly logs: LogLeases;
  readonly schemas: SchemaRegistry;
  readonly directory: BrokerDirectory;
  readonly peers: PeerTransport;
  /** Aborted when the broker closes: ends long polls and tails. */
  readonly lifetime: AbortSignal;
  readonly warn: (message: string) => void;
  /** When this broker's data dir was born (disk-birth.ts); 0 or absent: nothing is taken for lost. */
  readonly diskBornAt?: number;
  /** A broker by id, with the address this broker knows for it. */
  brokerRef(id: number): BrokerRef;
}
