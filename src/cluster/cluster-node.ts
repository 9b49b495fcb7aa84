import { join } from "node:path";
import type { BrokerRef } from "../broker/metadata.ts";
import { StreamNestError } from "../lib/errors.ts";
import { Controller } from "./controller.ts";
import { Forwarder } from "./forwarder.ts";
import type { PeerCallAuth } from "./internal-auth.ts";
import { type Heartbeat, isAddress, Membership, normalizeAddress } from "./membership.ts";
import { MetadataSync } from "./metadata-sync.ts";
import { PeerClient } from "./peer-client.ts";
import type { VersionedState } from "./shared-state.ts";

/**
 * One broker's part in the cluster: membership and heartbeats, the controller path for
 * metadata changes, metadata catch-up, and forwarding to partition leaders, wired
 * together over one keep-alive peer client. The broker hands it its metadata store (as a
 * VersionedState) and the function that applies a change; transports call the handle*
 * methods for the /internal/ routes.
 */

export interface ClusterNodeOptions<C, R, S extends { version: number }> {
  id: number;
  /** host:port others and clients use for this broker (--advertise; default localhost:<port>). */
  address: string;
  /** --peers, as host:port. */
  peers: string[];
  /** Signs this broker's calls and checks others' (from the cluster secret); none: a lone broker. */
  auth: PeerCallAuth | undefined;
  /** The broker's data folder; learned member ids are kept in <dataDir>/meta/. */
  dataDir: string | undefined;
  state: VersionedState<S>;
  apply: (change: C) => Promise<R> | R;
  parseChange: (value: unknown) => C;
  log?: (line: string) => void;
  timeoutMs?: number;
  heartbeatIntervalMs?: number;
  deadAfterMs?: number;
  syncIntervalMs?: number;
  /** False when the metadata is a quorum log (metadata-quorum.ts): no pushes, pulls or tie-breaks. */
  metadataSync?: boolean;
}

export interface ClusterBrokerStatus {
  id: number | null;
  address: string;
  alive: boolean;
  controller: boolean;
  self: boolean;
  metadata_version: number | null;
  last_heartbeat_ms: number | null;
}

/** GET /cluster. */
export interface ClusterStatus {
  broker: number;
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

export class ClusterNode<C, R, S extends { version: number }> {
  readonly client: PeerClient;
  readonly membership: Membership;
  readonly sync: MetadataSync<S>;
  readonly controller: Controller<C, R, S>;
  readonly forwarder: Forwarder;
  readonly auth: PeerCallAuth | undefined;

  constructor(private readonly options: ClusterNodeOptions<C, R, S>) {
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
    this.client = new PeerClient({ auth: options.auth, timeoutMs: options.timeoutMs, selfId: options.id });
    this.sync = new MetadataSync<S>({
      state: options.state,
      peers: () => this.membership.peerDialAddresses(),
      client: this.client,
      intervalMs: options.syncIntervalMs,
      log: options.log,
    });
    this.membership = new Membership({
      self: { id: options.id, address: normalizeAddress(options.address) },
      peers: options.peers,
      client: this.client,
      metadataVersion: () => options.state.version(),
      // Before the broker's store is open there is nothing to compare.
      metadataFingerprint: () => (options.state.version() === 0 ? undefined : options.state.fingerprint()),
      onPeerVersion: (member, version, fingerprint) => {
        if (options.metadataSync !== false) this.sync.noteVersion(member.dialAddress, version, fingerprint);
      },
      statePath: options.dataDir === undefined ? undefined : join(options.dataDir, "meta", MEMBERS_FILE),
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      deadAfterMs: options.deadAfterMs,
      log: options.log,
    });
    this.controller = new Controller<C, R, S>({
      membership: this.membership,
      client: this.client,
      state: options.state,
      sync: this.sync,
      apply: options.apply,
      parseChange: options.parseChange,
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

  /** True when there is anyone to cluster with. */
  get clustered(): boolean {
    return this.membership.peerDialAddresses().length > 0;
  }

  /**
   * Pulls the newest metadata from the peers, bounded by the peer timeout (so a dead
   * peer delays start by at most that). Run it before serving, so a restarted broker
   * never answers with the metadata it had before it went down.
   */
  async catchUp(): Promise<void> {
    if (this.options.metadataSync !== false) await this.sync.catchUp();
  }

  /**
   * Starts heartbeats and periodic pulls. Run it once listening: the first heartbeat
   * round then tells every peer this broker is up, and they can call back at once.
   */
  start(): void {
    this.membership.start();
    if (this.options.metadataSync !== false) this.sync.start();
  }

  stop(): void {
    this.membership.stop();
    this.sync.stop();
  }

  /** Placement's input: every configured or learned broker id, ascending. */
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
  signAnswer(nonce: string, status: number, body: string | Uint8Array): string {
    if (this.auth === undefined) throw new StreamNestError("UNAUTHORIZED", "this broker has no cluster secret");
    return this.auth.signAnswer(nonce, status, body);
  }

  handleHeartbeat(body: unknown): Heartbeat {
    return this.membership.receiveHeartbeat(body as Heartbeat);
  }

  handleMetadataGet(): S {
    return this.sync.serve();
  }

  handleMetadataPush(body: unknown): Promise<{ version: number; installed: boolean }> {
    return this.sync.receivePush(body);
  }

  handleControllerChange(body: unknown): Promise<{ result: R; metadata: S }> {
    return this.controller.receive(body);
  }

  /** Runs a metadata change through the controller. */
  submit(change: C): Promise<R> {
    return this.controller.submit(change);
  }

  identities(): BrokerRef[] {
    return this.membership.knownIdentities();
  }

  status(): ClusterStatus {
    const controller = this.membership.controllerId();
    return {
      broker: this.id,
      controller,
      metadata_version: this.options.state.version(),
      brokers: this.membership.view().map((m) => ({
        id: m.id ?? null,
        address: m.address,
        alive: m.alive,
        controller: m.id === controller,
        self: m.self,
        metadata_version: m.metadataVersion ?? null,
        last_heartbeat_ms: m.lastHeartbeatAgoMs ?? null,
      })),
    };
  }
}
