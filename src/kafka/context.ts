import type { AccessControl } from "../auth/access-control.ts";
import type { SaslSessionOptions } from "../auth/sasl-session.ts";
import type { Broker } from "../broker/broker.ts";
import type { ConnectionAuth } from "./connection-auth.ts";
import type { DecompressedGate } from "./decompressed-gate.ts";
import type { ClassicGroups } from "./groups/classic-groups.ts";
import type { KafkaOptions } from "./options.ts";
import type { ProducerStates } from "./producer-state.ts";

/**
 * The state every Kafka handler works on (one file per API in handlers/, over this,
 * after franz-go's kfake): the transport-free core, the adapter's options, the
 * idempotent producers' sequence state and the classic consumer groups.
 */
export interface KafkaContext {
  readonly broker: Broker;
  readonly options: KafkaOptions;
  /** The Kafka host:port of a broker by id (this one's included), if it has a listener. */
  kafkaAddressOf(id: number): { host: string; port: number } | undefined;
  readonly producers: ProducerStates;
  /** Decompressed Produce records held at once, all connections (KAFKA_LIMITS.maxDecompressedInFlightBytes). */
  readonly decompressed: DecompressedGate;
  readonly groups: ClassicGroups;
  /** Ended when the server closes: long polls and group waits answer at once. */
  readonly lifetime: AbortSignal;
  readonly log: (line: string) => void;
  /** Who may do what: the same tokens, users and ACLs as the HTTP API (off: everyone may do everything). */
  readonly access: AccessControl;
  /** With --auth=token: how a SASL exchange finds users' stored SCRAM credentials. None: no SASL. */
  readonly sasl: SaslSessionOptions | undefined;
  /** Counts one request by API and outcome (metrics with protocol="kafka"). */
  countRequest(api: string, ok: boolean): void;
}

/** What a handler knows of the connection its request came on. */
export interface ConnectionInfo {
  readonly clientHost: string;
  /** Aborted when the connection closes (a long poll stops waiting for nobody). */
  readonly closed: AbortSignal;
  /** Its SASL state and principal. */
  readonly auth: ConnectionAuth;
  /** Closes the connection once the answer being prepared has been written (a failed SASL exchange). */
  endAfterAnswer(why: string): void;
}

/** What a handler may tell its connection of the one request it answers (connection.ts). */
export interface RequestSignals {
  /**
   * The handler is done with its request's bytes: nothing it made, answered or left
   * running holds a view of them past its answer, so their memory may be reused for the
   * next request (see buffer-pool.ts). Not calling it is always safe.
   */
  frameDone(): void;
  /**
   * Every record of this request is appended, in the order the request came, and it now
   * only waits for replicas (an acks=all Produce of a producer that is not idempotent):
   * the connection may take its next request meanwhile. Answers still go out in order.
   */
  appended(): void;
}
