import { join } from "node:path";
import type { BrokerRef } from "../broker/metadata.ts";
import { StreamNestError } from "../lib/errors.ts";
import { Forwarder } from "./forwarder.ts";
import type { PeerCallAuth } from "./internal-auth.ts";
import { type Heartbeat, isAddress, Membership, normalizeAddress } from "./membership.ts";
import type { TlsMaterial } from "../lib/tls-material.ts";
import { PeerClient } from "./peer-client.ts";
import { assertSentBy } from "./sender-membership.ts";

/**
 * One broker's part in the cluster below the metadata quorum: membership and
 * heartbeats, and forwarding to partition leaders, wired together over one keep-alive
 * peer client. The metadata itself is the quorum's log (metadata-quorum.ts); this only
 * reports the broker's applied version in heartbeats, so /cluster shows each broker's.
 */

export interface ClusterNodeOptions {
  id: number;
  /** host:port others and clients use for this broker (--advertise; default localhost:<port>). */
  address: string;
  /** --peers, as host:port. */
  peers: string[];
  /** Signs this broker's calls and checks others' (from the cluster secret); none: a lone broker. */
  auth: PeerCallAuth | undefined;
  /** The broker's data folder; learned member ids are kept in <dataDir>/meta/. */
  dataDir: string | undefined;
  /** The metadata version this broker has applied (0 before its store is open). */
  metadataVersion: () => number;
  log?: (line: string) => void;
  timeoutMs?: number;
  heartbeatIntervalMs?: number;
  deadAfterMs?: number;
  /** Calls to peers over HTTPS (peer-http.ts). */
  tls?: TlsMaterial;
  /** Replica fetches over one WebSocket per leader where it opens (peer-channel.ts). */
  replicaChannel?: boolean;
}

export interface ClusterBrokerStatus {
  id: number | null;
  address: string;
  alive: boolean;
  /** It leads the metadata quorum. */
  controller: boolean;
  self: boolean;
  metadata_version: number | null;
  last_heartbeat_ms: number | null;
}

/** GET /cluster. */
export interface ClusterStatus {
  broker: number;
  /** The metadata quorum leader, -1 while none is known. */
  controller: number;
  metadata_version: number;
  under_replicated_partitions?: number;
  offline_partitions?: number;
  brokers: ClusterBrokerStatus[];
}

/** A call from another broker as it arrived: its signature header, method, path with query, and body. */
export interface InternalCall {
  authorization: string | null;
  method: string;
  path: string;
  body: Uint8Array;
}

export const MEMBERS_FILE = "cluster-members.json";

export class ClusterNode {
  readonly client: PeerClient;
  readonly membership: Membership;
  readonly forwarder: Forwarder;
  readonly auth: PeerCallAuth | undefined;

  constructor(private readonly options: ClusterNodeOptions) {
    for (const peer of options.peers)
      if (!isAddress(peer))
        throw new StreamNestError("INVALID_REQUEST", `peer "${peer}" is not host:port (e.g. --peers=localhost:8081,localhost:8082)`);
    if (options.peers.length > 0 && options.auth === undefined)
      throw new StreamNestError(
        "INVALID_REQUEST",
        "brokers with --peers need a shared cluster secret (STREAMNEST_CLUSTER_SECRET or --cluster-secret-file), or they refuse each other's calls",
      );
    if (!isAddress(options.address))
      throw new StreamNestError("INVALID_REQUEST", `advertised address "${options.address}" is not host:port`);
    this.auth = options.auth;
    this.client = new PeerClient({
      auth: options.auth,
      timeoutMs: options.timeoutMs,
      selfId: options.id,
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
      replicaChannel: options.replicaChannel === true,
    });
    this.membership = new Membership({
      self: { id: options.id, address: normalizeAddress(options.address) },
      peers: options.peers,
      client: this.client,
      metadataVersion: options.metadataVersion,
      statePath: options.dataDir === undefined ? undefined : join(options.dataDir, "meta", MEMBERS_FILE),
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      deadAfterMs: options.deadAfterMs,
      log: options.log,
    });
    this.forwarder = new Forwarder({ membership: this.membership, client: this.client });
  }

  get id(): number {
    return this.membership.self.id;
  }

  get address(): string {
    return this.membership.self.address;
  }

  /**
   * Starts heartbeats. Run it once listening: the first heartbeat round then tells every
   * peer this broker is up, and they can call back at once.
   */
  start(): void {
    this.membership.start();
  }

  stop(): void {
    this.membership.stop();
    this.client.closeChannels();
  }

  /** Every configured or learned broker id, ascending. */
  brokerIds(): number[] {
    return this.membership.brokerIds();
  }

  /**
   * Throws UNAUTHORIZED unless the call is signed by a broker of this cluster for this one;
   * returns who sent it and the nonce its answer is bound to. A broker without a cluster
   * secret (a lone broker) has no peers to trust, so it refuses every call.
   */
  authorize(call: InternalCall): { sender: number; nonce: string } {
    if (this.auth === undefined)
      throw new StreamNestError(
        "UNAUTHORIZED",
        "this broker has no cluster secret (STREAMNEST_CLUSTER_SECRET or --cluster-secret-file), so it accepts no internal calls",
      );
    return this.auth.verifyCall(call.authorization, call.method, call.path, call.body);
  }

  /** The signature of this broker's answer to a verified call. */
  signAnswer(nonce: string, status: number, body: string | Uint8Array | readonly Uint8Array[]): string {
    if (this.auth === undefined) throw new StreamNestError("UNAUTHORIZED", "this broker has no cluster secret");
    return this.auth.signAnswer(nonce, status, body);
  }

  /** A heartbeat from broker `from` (the one that signed it; null: in process), which must speak for itself. */
  handleHeartbeat(body: unknown, from?: number | null): Heartbeat {
    const id: unknown = body !== null && typeof body === "object" ? (body as { id?: unknown }).id : undefined;
    if (Number.isSafeInteger(id)) assertSentBy(from, id as number, "a heartbeat");
    return this.membership.receiveHeartbeat(body as Heartbeat);
  }

  identities(): BrokerRef[] {
    return this.membership.knownIdentities();
  }

  /** GET /cluster's membership part; `leader` is the metadata quorum leader (null: none known). */
  status(leader: number | null): ClusterStatus {
    return {
      broker: this.id,
      controller: leader ?? -1,
      metadata_version: this.options.metadataVersion(),
      brokers: this.membership.view().map((m) => ({
        id: m.id ?? null,
        address: m.address,
        alive: m.alive,
        controller: leader !== null && m.id === leader,
        self: m.self,
        metadata_version: m.metadataVersion ?? null,
        last_heartbeat_ms: m.lastHeartbeatAgoMs ?? null,
      })),
    };
  }
}
