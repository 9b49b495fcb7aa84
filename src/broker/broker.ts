import { join } from "node:path";
import { StreamNestError } from "../lib/errors.ts";
import { BrokerMetrics } from "../metrics/metrics.ts";
import { SchemaRegistry } from "../schema/registry.ts";
import type { OffsetsLog } from "../groups/offset-store.ts";
import type { BrokerConfig } from "./config.ts";
import type { CoreContext } from "./core-context.ts";
import { DataDirLock } from "./data-dir-lock.ts";
import { fetchNow, fetchRecords } from "./fetch.ts";
import { type FrameFetchQuery, type FrameFetchResult, fetchFrames } from "./fetch-frames.ts";
import type { FrameBatch } from "../storage/frame-batch.ts";
import { awaitWritten, needsRecordChecks, produceFrames } from "./produce-frames.ts";
import { GroupService } from "./groups.ts";
import { setHighWatermarkPending } from "./high-watermark-pending.ts";
import { acceptDataLoss, isLostReplica, offlineForLostData, watchLostReplicas } from "./lost-replicas.ts";
import { isBrokerLive } from "./leader-wait.ts";
import { LogLeases } from "./log-leases.ts";
import { assertLeadershipTakenUp, coordinatorOffsetsLog } from "./offsets-log.ts";
import { applyMetadata, removeOrphanPartitions } from "./metadata-application.ts";
import { type BrokerRef, brokerAddress, parseSecurityMetadataChange, type SchemaVersion, securityOf, type TopicConfig } from "./metadata.ts";
import type { SecurityChange } from "../auth/security-change.ts";
import type { SecurityState } from "../auth/security-state.ts";
import { LocalMetadataProposer, type MetadataProposer } from "./metadata-proposer.ts";
import { MetadataStore } from "./metadata-store.ts";
import { FORWARD, type RoutingPolicy } from "./partition-router.ts";
import { type BrokerDirectory, noPeerTransport, type PeerTransport, singleBrokerDirectory } from "./peer-transport.ts";
import { checkRecords, produce, produceBatch } from "./produce.ts";
import { type ReplicaCopy, readReplica } from "./replica-read.ts";
import type { ReplicaHost } from "./replica-host.ts";
import { Retention } from "./retention.ts";
import { tailRecords } from "./tail.ts";
import * as admin from "./topic-admin.ts";
import { type PartitionState, TopicCatalog } from "./topic-catalog.ts";
import { createPartitions } from "./topic-partitions.ts";
import { localRangesOfAllTopics, summarizeTopics, type TopicSummary } from "./topic-summaries.ts";
import { type BrokerStats, brokerStats } from "./broker-stats.ts";
import type {
  Acks,
  BrokerHealth,
  ClusterMetadataView,
  FetchQuery,
  FetchResult,
  PartitionRange,
  ProduceAck,
  ProduceFailure,
  ProduceOutcome,
  ProduceRecord,
  Tail,
  TailQuery,
  TopicDescription,
} from "./types.ts";

export interface BrokerDeps {
  metrics?: BrokerMetrics;
  directory?: BrokerDirectory;
  /** How calls reach other brokers (the cluster's); default: none can. */
  peers?: PeerTransport;
  /** Opens the metadata store of `<dataDir>/meta` (the quorum's rebuilds it from its log); default: metadata.json. */
  openMetadata?: (dir: string, brokers: BrokerRef[]) => MetadataStore;
  /** Builds the proposer over the broker's store; default applies changes locally. */
  proposer?: (store: MetadataStore) => MetadataProposer;
  warn?: (message: string) => void;
  /** Partition count of `__consumer_offsets` if this broker creates it. */
  offsetsPartitions?: number;
  /** When the data dir was born (disk-birth.ts): partitions placed here before it and missing from it were lost. */
  diskBornAt?: number;
}

/**
 * The broker, free of any transport: topics, schemas, produce, fetch and live tails
 * over the partition logs under `<dataDir>/<topic>-<partition>/`, consumer groups on
 * top. This class opens the state and hands each call to the file of its kind
 * (topic-admin, produce, fetch, tail, retention …), which all work on one CoreContext.
 * A partition call names its routing policy (partition-router.ts): the HTTP adapter
 * forwards to the leader, a Kafka adapter refuses.
 */
export class Broker {
  readonly config: BrokerConfig;
  readonly metrics: BrokerMetrics;
  readonly metadata: MetadataStore;
  readonly directory: BrokerDirectory;
  /** Consumer groups: coordinator of the groups of the `__consumer_offsets` partitions led here. */
  readonly groups: GroupService;
  private readonly ctx: CoreContext;
  private readonly lifetime = new AbortController();
  private readonly logs: LogLeases;
  private readonly retention: Retention;
  private readonly unsubscribe: () => void;
  private readonly unwatchLost: () => void;
  private readonly lock: DataDirLock;
  private closing: Promise<void> | undefined;

  private constructor(config: BrokerConfig, deps: BrokerDeps) {
    this.config = config;
    this.metrics = deps.metrics ?? new BrokerMetrics();
    const warn = deps.warn ?? ((m: string) => console.warn(m));
    const directory = deps.directory ?? singleBrokerDirectory({ id: config.id, address: config.advertise });
    this.directory = directory;
    // A message of maxMessageBytes must fit in one record, with room for its framing.
    // A small partition keeps its offset index in memory (storage/deferred-index.ts): a
    // batch over thousands of new partitions then makes no sqlite file per partition.
    const logOptions = { ...config.log, maxRecordBytes: config.maxMessageBytes + 64 * 1024, deferIndex: true };
    this.logs = new LogLeases(config.maxOpenPartitions, logOptions, this.lifetime.signal, warn);
    this.lock = DataDirLock.acquire(config.dataDir);
    try {
      const openMetadata = deps.openMetadata ?? ((dir: string, brokers: BrokerRef[]) => MetadataStore.open(dir, brokers));
      this.metadata = openMetadata(join(config.dataDir, "meta"), directory.brokers());
    } catch (error) {
      this.lock.release();
      throw error;
    }
    const metadata = this.metadata;
    this.ctx = {
      config,
      metrics: this.metrics,
      metadata,
      proposer: deps.proposer ? deps.proposer(metadata) : new LocalMetadataProposer(metadata),
      catalog: new TopicCatalog(config.dataDir, config.id, this.metrics),
      logs: this.logs,
      schemas: new SchemaRegistry(),
      directory,
      peers: deps.peers ?? noPeerTransport,
      lifetime: this.lifetime.signal,
      warn,
      brokerRef: (id) => brokerRefOf(directory, metadata, id),
      diskBornAt: deps.diskBornAt,
    };
    const ctx = this.ctx;
    for (const meta of metadata.current.topics.values()) ctx.catalog.add(meta);
    removeOrphanPartitions(ctx);
    this.unsubscribe = metadata.onChange((doc, change, _previous, touched) => applyMetadata(ctx, doc, change === undefined && touched === undefined, touched));
    this.unwatchLost = watchLostReplicas(ctx);
    this.metrics.setPartitionSource(() => this.partitionStats());
    this.retention = new Retention(ctx);
    this.groups = new GroupService(
      {
        self: this.self,
        metadata,
        brokers: () => directory.brokers(),
        createTopic: (topic, partitions) => admin.addTopic(ctx, topic, partitions),
        partitionRanges: (topic) => admin.partitionRanges(ctx, topic),
        localLog: (topic, partition) => this.leaderLog(topic, partition),
        catchUpMetadata: () => this.catchUpMetadata(),
        brokerRef: ctx.brokerRef,
        peers: ctx.peers,
      },
      { offsetsPartitions: deps.offsetsPartitions, warn },
    );
    this.metrics.setGroupSource(() => this.groups.metricsSnapshot());
  }

  /** Opens the broker over its data dir: metadata is read, partitions open lazily. */
  static open(config: BrokerConfig, deps: BrokerDeps = {}): Broker {
    return new Broker(config, deps);
  }

  get self(): BrokerRef {
    return this.directory.self;
  }

  // ---- topics and schemas (topic-admin.ts) ----------------------------------------

  /** "created", or "exists" when the topic is already there with this partition count. */
  createTopic(topic: string, partitions: number, replication: admin.TopicReplication = {}): Promise<"created" | "exists"> {
    return admin.createTopic(this.ctx, topic, partitions, replication);
  }

  /** Users, API token hashes and ACL bindings as this broker's metadata holds them (issue 14). */
  security(): SecurityState {
    return securityOf(this.metadata.current);
  }

  /**
   * Commits a change of users, tokens or ACLs through the metadata, so that every broker
   * applies it in the same order; false when it was already in effect (an ACL added twice).
   */
  async changeSecurity(change: SecurityChange): Promise<boolean> {
    // Read as every broker will read it from the log, before it goes there: a change the
    // log cannot take (a token id that is not 16 hex digits) is a 400 now, not an entry
    // written for nothing and a request that times out.
    return (await this.ctx.proposer.propose(parseSecurityMetadataChange(change))).changed;
  }

  /** Changes a topic's own settings (retention); answers those now in effect for it. */
  setTopicConfig(topic: string, patch: admin.TopicConfigPatch): Promise<TopicConfig> {
    return admin.setTopicConfig(this.ctx, topic, patch);
  }

  deleteTopic(topic: string): Promise<void> {
    return admin.deleteTopic(this.ctx, topic);
  }

  /** Grows the topic to `count` partitions (never shrinks it); keys may map elsewhere afterwards, as in Kafka. */
  createPartitions(topic: string, count: number, options: { validateOnly?: boolean } = {}): Promise<{ before: number; partitions: number }> {
    return createPartitions(this.ctx, topic, count, options);
  }

  /** Topic names; internal ones (`__consumer_offsets`) only when asked. */
  listTopics(includeInternal = false): string[] {
    return this.ctx.catalog.names(includeInternal);
  }

  /** Offsets and sizes of the partitions led here; the others have none. */
  describeTopic(topic: string): TopicDescription {
    return admin.describeTopic(this.ctx, topic);
  }

  /** Offsets and sizes of every partition, each asked of its leader (missing for one unreachable). */
  describeTopicAcrossCluster(topic: string): Promise<TopicDescription> {
    return admin.describeTopicAcrossCluster(this.ctx, topic);
  }

  /** The ranges of the partitions of `topic` this broker leads (what a peer asks of it). */
  localPartitionRanges(topic: string): PartitionRange[] {
    return admin.localPartitionRanges(this.ctx, topic);
  }

  /** Totals of every topic (or of those named), each partition's from its leader, asking each other broker once. */
  summarizeTopics(only?: readonly string[]): Promise<TopicSummary[]> {
    return summarizeTopics(this.ctx, only);
  }

  /** The ranges of every partition this broker leads, by topic (what a peer summarizing topics asks). */
  localRangesOfAllTopics(): Map<string, PartitionRange[]> {
    return localRangesOfAllTopics(this.ctx);
  }

  /** This broker's message counters and the disk its partition logs use. */
  stats(): BrokerStats {
    return brokerStats(this.ctx);
  }

  clusterMetadata(): ClusterMetadataView {
    return admin.clusterMetadata(this.ctx);
  }

  /** Adds a schema version (the new newest); returns its version number. */
  registerSchema(topic: string, schema: unknown): Promise<number> {
    return admin.registerSchema(this.ctx, topic, schema);
  }

  schemaVersions(topic: string): SchemaVersion[] {
    return admin.schemaVersions(this.ctx, topic);
  }

  // ---- partition calls (produce.ts, fetch.ts, tail.ts) ----------------------------

  /** One record; throws the reason when it is refused. */
  produce(topic: string, record: ProduceRecord, policy: RoutingPolicy = FORWARD): Promise<ProduceAck> {
    return produce(this.ctx, topic, record, policy);
  }

  /** A batch: one outcome per record, in order; a refused record fails alone. */
  produceBatch(topic: string, records: readonly ProduceRecord[], policy: RoutingPolicy = FORWARD): Promise<ProduceOutcome[]> {
    return produceBatch(this.ctx, topic, records, policy);
  }

  /** Runs produce's checks (size, schema) on each record without writing: a failure per refused one. */
  checkRecords(topic: string, records: readonly ProduceRecord[]): (ProduceFailure | undefined)[] {
    return checkRecords(this.ctx, topic, records);
  }

  fetch(request: FetchQuery, policy: RoutingPolicy = FORWARD): Promise<FetchResult> {
    return fetchRecords(this.ctx, request, policy);
  }

  /** fetch's answer when it needs no waiting (see fetchNow); undefined: ask fetch. */
  fetchNow(request: FetchQuery, policy: RoutingPolicy = FORWARD): FetchResult | undefined {
    return fetchNow(this.ctx, request, policy);
  }

  /** A batch already laid out as frames, to one partition led here (produce-frames.ts); its first offset. */
  produceFrames(topic: string, partition: number, batch: FrameBatch, acks: Acks, appended?: (baseOffset: number) => void): Promise<number> {
    return produceFrames(this.ctx, topic, partition, batch, acks, appended);
  }

  /** Waits until records written here up to `lastOffset` in leader epoch `epoch` are acknowledged per `acks` (produce-frames.ts). */
  awaitWritten(topic: string, partition: number, lastOffset: number, epoch: number, acks: Acks): Promise<void> {
    return awaitWritten(this.ctx, topic, partition, lastOffset, epoch, acks);
  }

  /** Whether records of this size bound for `topic` need produce's per-record checks (a schema, the size limit). */
  needsRecordChecks(topic: string, maxRecordBytes: number): boolean {
    return needsRecordChecks(this.ctx, topic, maxRecordBytes);
  }

  /** Records of a partition led here as their checked frames, without waiting (fetch-frames.ts). */
  fetchFrames(request: FrameFetchQuery): Promise<FrameFetchResult> {
    return fetchFrames(this.ctx, request);
  }

  tail(request: TailQuery, policy: RoutingPolicy = FORWARD): Promise<Tail> {
    return tailRecords(this.ctx, request, policy);
  }

  /** Whether this broker's metadata has the topic (no error for a bad name). */
  hasTopic(topic: string): boolean {
    return this.ctx.catalog.has(topic);
  }

  /**
   * Waits (bounded) until this broker has applied every metadata change committed
   * before the call: a topic created through another broker a moment ago is then known
   * here too. Immediate on a lone broker. False when the quorum could not be reached
   * within the wait (what this broker holds may then be behind).
   */
  async catchUpMetadata(): Promise<boolean> {
    return (await this.ctx.proposer.catchUp?.()) ?? true;
  }

  /** False while this broker counts broker `id` down (fenced by the quorum, or not answering). */
  isBrokerLive(id: number): boolean {
    return isBrokerLive(this.ctx, id);
  }

  /**
   * The leader epoch of a partition this broker leads; NOT_LEADER_OR_FOLLOWER when
   * another broker leads it (TOPIC_NOT_FOUND, PARTITION_OUT_OF_RANGE as any call). What a
   * Kafka produce checks before its producer's sequences, as Kafka's ReplicaManager
   * refuses a produce to a follower before it looks at a batch.
   */
  leaderEpochHere(topic: string, partition: number): number {
    const ps = this.ctx.catalog.partition(this.ctx.catalog.topic(topic), partition);
    if (ps.assignment.leader !== this.self.id)
      throw new StreamNestError("NOT_LEADER_OR_FOLLOWER", `partition ${partition} of "${topic}" is led by broker ${ps.assignment.leader}, not broker ${this.self.id}`);
    return ps.assignment.leaderEpoch;
  }

  /** TOPIC_NOT_FOUND (or INVALID_TOPIC_NAME) unless the topic exists. */
  assertTopic(topic: string): void {
    this.ctx.catalog.topic(topic);
  }

  /** Throws as a read of it would when the topic or the partition does not exist. */
  assertPartition(topic: string, partition: number): void {
    this.ctx.catalog.partition(this.ctx.catalog.topic(topic), partition);
  }

  /** This broker's own copy of a partition up to its log end, whoever leads it (replica-read.ts). */
  readReplica(topic: string, partition: number, offset: number, maxRecords: number, maxBytes: number): Promise<ReplicaCopy> {
    return readReplica(this.ctx, topic, partition, offset, maxRecords, maxBytes);
  }

  /** An operator accepts that this broker lost the partition's data with its disk (lost-replicas.ts). */
  acceptDataLoss(topic: string, partition: number): Promise<{ leaderEpoch: number }> {
    return acceptDataLoss(this.ctx, topic, partition);
  }

  /** The seam the replication driver works through (cluster/replication/). */
  replicaHost(): ReplicaHost {
    const ctx = this.ctx;
    return {
      self: this.self.id,
      metadata: this.metadata,
      metrics: this.metrics,
      lifetime: this.lifetime.signal,
      propose: (change) => ctx.proposer.propose(change),
      brokerRef: (id) => ctx.brokerRef(id),
      replicaLog: (topic, topicId, partition) => {
        const ps = this.replicaPartition(topic, topicId, partition);
        return ps ? this.logs.touch(ps) : undefined;
      },
      replicaLease: (topic, topicId, partition) => {
        const ps = this.replicaPartition(topic, topicId, partition);
        return ps ? (this.logs.leaseIfReady(ps) ?? this.logs.lease(ps)) : undefined;
      },
      replicaLogIfOpen: (topic, partition) => {
        const ps = ctx.catalog.get(topic)?.partitions[partition];
        return ps ? this.logs.get(ps) : undefined;
      },
      onReplicaLogOpen: (listener) =>
        this.logs.onOpen((ps, log) => {
          for (const state of ctx.catalog.states()) if (state.partitions[ps.partition] === ps) return listener(state.meta.name, ps.partition, log);
        }),
      warn: ctx.warn,
      offlineForLostData: () => offlineForLostData(ctx),
      isLostReplica: (topic, partition) => {
        const state = ctx.catalog.get(topic);
        const ps = state?.partitions[partition];
        return state !== undefined && ps !== undefined && isLostReplica(ctx, state, ps);
      },
      highWatermarkPending: (topic, partition, pending) => {
        const ps = ctx.catalog.get(topic)?.partitions[partition];
        if (ps) setHighWatermarkPending(ps, pending);
      },
    };
  }

  // ---- health and lifecycle -------------------------------------------------------

  health(): BrokerHealth {
    return {
      status: "ok",
      id: this.self.id,
      address: this.self.address,
      metadataVersion: this.metadata.version,
      // As /list-topics counts them: __consumer_offsets is the brokers' own.
      topics: this.listTopics().length,
    };
  }

  /** Ends long polls and tails, then flushes and closes every log. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    this.lifetime.abort();
    this.groups.close();
    this.unsubscribe();
    this.unwatchLost();
    await this.retention.stop();
    await this.logs.closeAll();
    await this.logs.settleDeletions();
    this.lock.release();
  }

  /** A replicated partition of this incarnation of `topic`, while the broker and the topic live. */
  private replicaPartition(topic: string, topicId: string, partition: number): PartitionState | undefined {
    if (this.lifetime.signal.aborted) return undefined;
    const state = this.ctx.catalog.get(topic);
    if (!state || state.meta.id !== topicId || state.lifetime.signal.aborted) return undefined;
    return state.partitions[partition];
  }

  /** The log of a partition led here (the group coordinator's `__consumer_offsets`), kept open for good. */
  private leaderLog(topic: string, partition: number): OffsetsLog {
    const { catalog } = this.ctx;
    const state = catalog.topic(topic);
    const ps = catalog.partition(state, partition);
    if (ps.assignment.leader !== this.self.id)
      throw new StreamNestError("NOT_COORDINATOR", `partition ${partition} of "${topic}" is led by broker ${ps.assignment.leader}`);
    const log = this.logs.keep(ps);
    assertLeadershipTakenUp(ps, log);
    return coordinatorOffsetsLog(this.ctx, state, ps, log);
  }

  private *partitionStats(): Iterable<{ topic: string; partition: number; endOffset: number; sizeBytes: number }> {
    for (const state of this.ctx.catalog.states())
      for (const ps of state.partitions) {
        const stats = this.logs.knownStats(ps);
        if (stats) yield { topic: state.meta.name, partition: ps.partition, endOffset: stats.endOffset, sizeBytes: stats.sizeBytes };
      }
  }
}

/** A broker by id: this one, one the directory knows, one metadata recorded, else a placeholder name. */
function brokerRefOf(directory: BrokerDirectory, metadata: MetadataStore, id: number): BrokerRef {
  if (id === directory.self.id) return directory.self;
  const known = directory.brokerOf !== undefined ? directory.brokerOf(id) : directory.brokers().find((b) => b.id === id);
  const address = known?.address ?? brokerAddress(metadata.current, id) ?? `broker-${id}`;
  return { id, address };
}
