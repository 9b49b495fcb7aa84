import { CLUSTER_LIMITS, CLUSTER_QUORUM } from "../config/cluster.ts";
import type { Broker } from "../broker/broker.ts";
import type { BrokerStats } from "../broker/broker-stats.ts";
import type { BrokerConfig } from "../broker/config.ts";
import type { BrokerRef } from "../broker/metadata.ts";
import type { MetadataProposer } from "../broker/metadata-proposer.ts";
import type { MetadataStore } from "../broker/metadata-store.ts";
import { servedForwarded } from "../broker/partition-router.ts";
import { LOG_OPEN_SLICE, startInSlices } from "../lib/sliced-start.ts";
import type { BrokerDirectory } from "../broker/peer-transport.ts";
import type { ProduceFailure, StoredRecord } from "../broker/types.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { TlsMaterial } from "../lib/tls-material.ts";
import { ReplicaManager } from "./replication/replica-manager.ts";
import { ClusterNode, type ClusterStatus, type InternalCall } from "./cluster-node.ts";
import type { PeerCallAuth } from "./internal-auth.ts";
import { type AllOffsetsAnswer, type BrokerStatsRow, encodeAllOffsets, gatherStats } from "./cluster-stats.ts";
import { type Heartbeat, normalizeAddress } from "./membership.ts";
import { type OffsetsAnswer, PeerForwarder } from "./partition-forwarder.ts";
import {
  decodeProduceMessage,
  encodeFetch,
  encodeRecord,
  type FetchAnswer,
  parseFetchCall,
  parseProduceBatch,
  type ProduceAnswer,
  type ProduceBatchAnswer,
  type TailBatch,
  type TailError,
  type TailStart,
} from "./partition-wire.ts";
import { MetadataQuorum, type QuorumStatusView } from "./metadata-quorum.ts";
import { acceptsCall } from "./sender-membership.ts";

export type { ClusterStatus };

/**
 * A broker's link to its cluster: it supplies the core's seams (the directory that
 * placement reads, the peer transport for calls to other brokers, the proposer that
 * hands metadata changes to the metadata quorum) and answers every call another broker
 * makes (the HTTP adapter's /internal/ routes hand them here). A lone broker gets one
 * too: it is a quorum of one voter and leads everything.
 *
 *   const link = new ClusterLink(config);
 *   const broker = Broker.open(config, link.brokerDeps());
 *   link.attach(broker);
 *   listen(…);
 *   link.start();                // heartbeats, replication, the metadata quorum
 *
 * The quorum leader places the partitions of a new topic (round-robin over every
 * broker it knows, sorted by id, as Kafka's controller assigns replicas), so placement
 * does not depend on how much the receiving broker happened to know.
 */

/** How often an idle forwarded tail sends an empty line. */
export const TAIL_KEEPALIVE_MS = CLUSTER_LIMITS.forwardedTailKeepaliveMs.value;

export interface ClusterLinkOptions {
  log?: (line: string) => void;
  /** From the cluster secret and id (the node builds it); none: a lone broker that accepts no peer. */
  auth?: PeerCallAuth;
  timeoutMs?: number;
  heartbeatIntervalMs?: number;
  deadAfterMs?: number;
  /** Calls to other brokers over HTTPS, verified (peer-http.ts). */
  tls?: TlsMaterial;
}

export class ClusterLink {
  readonly node: ClusterNode;
  readonly directory: BrokerDirectory;
  readonly peers: PeerForwarder;
  /** The metadata quorum: every metadata change is an entry of its log. */
  readonly quorum: MetadataQuorum;
  private store: MetadataStore | undefined;
  private broker: Broker | undefined;
  private readonly log: ((line: string) => void) | undefined;
  private replicas: ReplicaManager | undefined;

  constructor(config: BrokerConfig, options: ClusterLinkOptions = {}) {
    this.node = new ClusterNode({
      id: config.id,
      address: config.advertise,
      peers: config.peers,
      auth: options.auth,
      dataDir: config.dataDir,
      metadataVersion: () => this.store?.version ?? 0,
      log: options.log,
      timeoutMs: options.timeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      deadAfterMs: options.deadAfterMs,
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
      replicaChannel: config.replicaFetchTransport === "websocket",
    });
    this.log = options.log;
    const membership = this.node.membership;
    this.quorum = new MetadataQuorum({
      id: config.id,
      dataDir: config.dataDir,
      membership,
      client: this.node.client,
      configuredPeers: config.peers.map(normalizeAddress),
      voterCount: config.controllerVoters,
      snapshotEveryEntries: config.metadataSnapshotEntries ?? CLUSTER_QUORUM.metadataSnapshotEntries.default,
      ...(config.metadataSnapshotBytes !== undefined ? { snapshotEveryBytes: config.metadataSnapshotBytes } : {}),
      knownBrokers: () => this.knownBrokers(),
      address: config.advertise,
      sessionTimeoutMs: config.sessionTimeoutMs ?? CLUSTER_QUORUM.sessionTimeoutMs.default,
      log: options.log,
    });
    this.directory = {
      self: membership.self,
      brokers: () => this.knownBrokers(),
      brokerOf: (id) => this.knownBroker(id),
      isAlive: (id) => membership.isAlive(id),
    };
    this.peers = new PeerForwarder(this.node.forwarder, config.maxBodyBytes);
  }

  /** The seams Broker.open takes. */
  brokerDeps(): {
    directory: BrokerDirectory;
    peers: PeerForwarder;
    proposer: (store: MetadataStore) => MetadataProposer;
    openMetadata?: (dir: string, brokers: BrokerRef[]) => MetadataStore;
  } {
    const quorum = this.quorum;
    return {
      directory: this.directory,
      peers: this.peers,
      // With the quorum, the metadata log is the durable state: the store starts from it.
      openMetadata: (dir: string, brokers: BrokerRef[]) => quorum.openStore(dir, brokers),
      proposer: (store) => {
        this.store = store;
        quorum.bind(store);
        return { propose: (change) => quorum.propose(change), catchUp: () => quorum.catchUp() };
      },
    };
  }

  /** The broker that serves calls forwarded here; its replicated partitions are driven from here. */
  attach(broker: Broker): void {
    this.broker = broker;
    const client = this.node.client;
    const membership = this.node.membership;
    this.replicas = new ReplicaManager(
      broker.replicaHost(),
      {
        async fetch(leader, body, timeoutMs, signal) {
          const label = `broker ${leader.id} (${leader.address})`;
          // The --peers address when there is one, as forwarded calls dial: the operator's
          // way to the leader (a proxy, another interface), not the one it advertises to clients.
          return client.replicaFetch(membership.dialAddressOf(leader.id) ?? leader.address, {
            body,
            signal,
            timeoutMs,
            label,
          });
        },
      },
      { isAlive: (id) => membership.view().some((m) => m.id === id && m.alive) },
      {
        lagTimeMs: broker.config.replicaLagTimeMs,
        unclean: broker.config.uncleanLeaderElection,
        livenessGraceMs: CLUSTER_LIMITS.deadAfterMs.value + CLUSTER_LIMITS.heartbeatIntervalMs.value,
      },
    );
  }

  /** A follower's fetch from a partition led here. */
  replicaFetch(body: Uint8Array, signal: AbortSignal | undefined): Promise<Uint8Array[]> {
    if (!this.replicas) throw new StreamNestError("LEADER_UNAVAILABLE", "this broker is still starting");
    return this.replicas.serveFetch(body, signal);
  }

  /** Starts heartbeats, replication and the metadata quorum; run once listening. */
  start(): void {
    this.node.start();
    this.replicas?.start();
    // Formation asks the peers, which must be listening: so it runs after listen, never before.
    void this.quorum.start().catch((error: unknown) => this.logQuorumFailure(error));
  }

  async stop(): Promise<void> {
    this.replicas?.stop();
    this.node.stop();
    await this.quorum.stop();
  }

  private logQuorumFailure(error: unknown): void {
    (this.log ?? console.error)(`Metadata quorum could not start: ${error instanceof Error ? error.message : String(error)}`);
  }

  /**
   * Tells the peers (in heartbeats) this broker's Kafka advertised address, once its
   * listener is up, and its address per listener name when it has several.
   */
  setKafkaAddress(address: string, byListener?: Record<string, string>): void {
    this.node.membership.kafkaAddress = address;
    this.node.membership.kafkaListeners = byListener;
  }

  /** The Kafka address a broker advertised in its heartbeats (this one's own for self), for a listener name if given. */
  kafkaAddressOf(id: number, listener?: string): string | undefined {
    return this.node.membership.kafkaAddressOf(id, listener);
  }

  /** Every broker known from metadata or heartbeats, ascending by id. */
  private knownBrokers(): BrokerRef[] {
    const byId = new Map<number, BrokerRef>();
    for (const b of this.store?.current.brokers ?? []) byId.set(b.id, { id: b.id, address: b.address });
    // What heartbeats say is newer than what metadata recorded.
    for (const b of this.node.membership.knownIdentities()) byId.set(b.id, b);
    return [...byId.values()].sort((a, b) => a.id - b.id);
  }

  /** knownBrokers()'s entry for `id`, as it would be, without building the list. */
  private knownBroker(id: number): BrokerRef | undefined {
    const heard = this.node.membership.addressOf(id);
    if (heard !== undefined) return { id, address: heard };
    const recorded = this.store?.current.brokers.find((b) => b.id === id);
    return recorded === undefined ? undefined : { id: recorded.id, address: recorded.address };
  }

  private boundBroker(): Broker {
    if (!this.broker) throw new StreamNestError("LEADER_UNAVAILABLE", "this broker is still starting");
    return this.broker;
  }

  // ---- calls from other brokers (each checked with authorize() first) --------------

  /** Throws UNAUTHORIZED unless the call is signed by a broker of this cluster for this one. */
  authorize(call: InternalCall): { sender: number; nonce: string } {
    return this.node.authorize(call);
  }

  signAnswer(nonce: string, status: number, body: string | Uint8Array | readonly Uint8Array[]): string {
    return this.node.signAnswer(nonce, status, body);
  }

  /**
   * Whether this broker serves a verified call from broker `sender` to `path`: open to a
   * joining broker, or from a member as the quorum knows them (sender-membership.ts).
   */
  acceptsCallFrom(sender: number, path: string): boolean {
    return acceptsCall(
      {
        voters: () => this.quorum.voterIds(),
        registered: () => this.store?.current.brokers ?? [],
        configuredPeerIds: () => this.node.membership.configuredPeerIds(),
      },
      sender,
      path,
    );
  }

  heartbeat(body: unknown, from?: number | null): Heartbeat {
    return this.node.handleHeartbeat(body, from);
  }

  /**
   * Produces another broker forwarded (several calls that reached it together): served
   * here, never forwarded again, started in the order they came so that they append in
   * that order; each call gets its outcomes or the reason it failed as a whole.
   *
   * Each call holds its partition's log open until written, so the calls run in waves of
   * the open-log limit, as a local batch does: one client batch over 2,000 partitions
   * arrives here as 1,000 calls, and opening all their logs at once ran a broker under
   * `ulimit -n 1024` out of file descriptors (a third of the messages refused).
   */
  async produce(body: unknown, from: number | null): Promise<ProduceBatchAnswer> {
    const { calls } = parseProduceBatch(body);
    const broker = this.boundBroker();
    const policy = servedForwarded(from);
    const serve = async (call: (typeof calls)[number]): Promise<ProduceAnswer | ProduceFailure> => {
      try {
        const records = call.messages.map((m) => decodeProduceMessage(m, call.partition));
        return { outcomes: await broker.produceBatch(call.topic, records, policy) };
      } catch (error) {
        if (error instanceof StreamNestError) return error.toJSON();
        throw error;
      }
    };
    const wave = broker.config.maxOpenPartitions;
    const results: (ProduceAnswer | ProduceFailure)[] = [];
    for (let i = 0; i < calls.length; i += wave) results.push(...(await startInSlices(calls.slice(i, i + wave), LOG_OPEN_SLICE, serve)));
    return { results };
  }

  async fetch(body: unknown, from: number | null, signal: AbortSignal | undefined): Promise<FetchAnswer> {
    const { uncounted, ...call } = parseFetchCall(body);
    const broker = this.boundBroker();
    const result = await broker.fetch({ ...call, signal, peek: uncounted }, servedForwarded(from));
    return encodeFetch(result);
  }

  /**
   * A tail another broker forwarded: newline-delimited JSON, first the start offset,
   * then one line per batch of records as they are appended. The range is checked
   * before the first byte, so a bad offset is an error answer, not a broken stream.
   */
  async tail(query: { topic?: string; partition?: string; offset?: string }, from: number | null, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const broker = this.boundBroker();
    const partition = Number(query.partition);
    const offset = query.offset === undefined ? undefined : Number(query.offset);
    const tail = await broker.tail({ topic: query.topic ?? "", partition, offset, signal }, servedForwarded(from));
    const encoder = new TextEncoder();
    const iterator = tail.records[Symbol.asyncIterator]();
    const start: TailStart = { startOffset: tail.startOffset };
    let pending: Promise<IteratorResult<StoredRecord[]>> | undefined;
    return new ReadableStream<Uint8Array>(
      {
        start(controller) {
          controller.enqueue(encoder.encode(`${JSON.stringify(start)}\n`));
        },
        async pull(controller) {
          pending ??= iterator.next();
          let timer: ReturnType<typeof setTimeout> | undefined;
          // An empty line now and then keeps an idle stream's connection from timing out.
          const idle = new Promise<"idle">((resolve) => {
            timer = setTimeout(() => resolve("idle"), TAIL_KEEPALIVE_MS);
          });
          try {
            const next = await Promise.race([pending, idle]);
            if (next === "idle") {
              controller.enqueue(encoder.encode("\n"));
              return;
            }
            pending = undefined;
            if (next.done) {
              controller.close();
              return;
            }
            const batch: TailBatch = { records: next.value.map(encodeRecord) };
            controller.enqueue(encoder.encode(`${JSON.stringify(batch)}\n`));
          } catch (error) {
            // The broker's own refusal (the topic was deleted) travels as a line, so the
            // forwarding broker can tell its client why the stream ended.
            if (!(error instanceof StreamNestError)) {
              controller.error(error);
              return;
            }
            const line: TailError = error.toJSON();
            controller.enqueue(encoder.encode(`${JSON.stringify(line)}\n`));
            controller.close();
          } finally {
            clearTimeout(timer);
          }
        },
        async cancel() {
          tail.close();
          await iterator.return?.(undefined);
        },
      },
      { highWaterMark: 0 },
    );
  }

  /**
   * The ranges of the partitions of `topic` this broker leads, for another broker
   * describing the topic; partitions led elsewhere are left out, as this broker does not
   * hold them.
   */
  offsets(topic: string): OffsetsAnswer {
    return { topic, partitions: this.boundBroker().localPartitionRanges(topic) };
  }

  /** POST /internal/quorum (`from`: the broker that signed it, as in the rest of this section). */
  quorumMessages(body: unknown, from?: number | null): unknown {
    return this.quorum.receive(body, from);
  }

  /** POST /internal/quorum/propose. */
  quorumPropose(body: unknown, from?: number | null): Promise<unknown> {
    return this.quorum.receivePropose(body, from);
  }

  /** POST /internal/quorum/heartbeat. */
  quorumHeartbeat(body: unknown, from?: number | null): unknown {
    return this.quorum.receiveHeartbeat(body, from);
  }

  /** POST /internal/quorum/applied. */
  quorumApplied(body: unknown): Promise<unknown> {
    return this.quorum.receiveApplied(body);
  }

  /** GET /internal/quorum/voters. */
  quorumVoters(): unknown {
    return this.quorum.votersAnswer();
  }

  /** The ranges of every partition this broker leads, by topic, for another broker summarizing all topics. */
  allOffsets(): AllOffsetsAnswer {
    return encodeAllOffsets(this.boundBroker().localRangesOfAllTopics());
  }

  /** This broker's counters and disk use, for another broker gathering the cluster's. */
  stats(): BrokerStats {
    return this.boundBroker().stats();
  }

  /** Every broker's counters and disk use: its own, and each live peer's as it answers. */
  clusterStats(): Promise<BrokerStatsRow[]> {
    const broker = this.boundBroker();
    return gatherStats(this.node.membership.view(), () => broker.stats(), this.node.forwarder);
  }

  /** GET /cluster: membership, and the quorum as this broker sees it (its leader is the "controller"). */
  status(): ClusterStatus & { quorum: QuorumStatusView } {
    const quorum = this.quorum.status();
    const base = this.node.status(quorum.leader);
    const counts = this.replicas?.counts();
    const status: ClusterStatus = counts ? { ...base, under_replicated_partitions: counts.underReplicated, offline_partitions: counts.offline } : base;
    return {
      ...status,
      brokers: status.brokers.map((b) => {
        const registered = this.store?.current.brokers.find((r) => r.id === b.id);
        return { ...b, fenced: registered?.fenced ?? null, incarnation: registered?.incarnation ?? null };
      }),
      quorum,
    };
  }
}
