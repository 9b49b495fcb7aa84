import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { BrokerRef, MetadataDocument, PartitionAssignment, SchemaVersion, TopicMetadata } from "../cluster/metadata.ts";
import { brokerAddress } from "../cluster/metadata.ts";
import { placePartitions } from "../cluster/metadata-placement.ts";
import { LocalMetadataProposer, type MetadataProposer } from "../cluster/metadata-proposer.ts";
import { MetadataStore } from "../cluster/metadata-store.ts";
import { isInternalTopic, OFFSETS_TOPIC } from "../groups/offsets-topic.ts";
import { StreamNestError } from "../lib/errors.ts";
import { murmur2 } from "../lib/murmur2.ts";
import { assertTopicName, topicNameProblem } from "../lib/topic-name.ts";
import { registerGroupMetrics } from "../metrics/group-metrics.ts";
import { BrokerMetrics, type PartitionStat, type TopicCounters } from "../metrics/metrics.ts";
import { checkNewSchema, SchemaRegistry } from "../schema/registry.ts";
import { deletePartitionLog, PartitionLog } from "../storage/partition-log.ts";
import { listSegmentBases } from "../storage/segment.ts";
import { isOutOfFiles } from "../storage/storage-failure.ts";
import type { LogOptions, RecordInput, StoredRecord } from "../storage/types.ts";
import { type BrokerDirectory, type Forwarder, noForwarder, type PartitionRange, singleBrokerDirectory } from "./cluster-seam.ts";
import type { BrokerConfig } from "./config.ts";
import { DataDirLock } from "./data-dir-lock.ts";
import { GroupService } from "./groups.ts";
import { type LogLease, OpenLogs } from "./open-logs.ts";
import type { GroupCallSender } from "./groups-seam.ts";
import { toRecord } from "./produce-record.ts";
import type {
  BrokerHealth,
  ClusterMetadataView,
  FetchRequest,
  FetchResult,
  ProduceAck,
  ProduceMessage,
  ProduceOutcome,
  Tail,
  TailRequest,
  TopicDescription,
} from "./types.ts";
import { waitForAppend } from "./wait-for-append.ts";

/** Fetch bounds (Kafka's fetch.max.bytes defaults to 50 MiB, max.partition.fetch.bytes to 1 MiB). */
export const DEFAULT_FETCH_MAX_RECORDS = 500;
export const FETCH_MAX_RECORDS_LIMIT = 10_000;
export const DEFAULT_FETCH_MAX_BYTES = 1024 * 1024;
export const FETCH_MAX_BYTES_LIMIT = 64 * 1024 * 1024;
export const FETCH_TIMEOUT_LIMIT_MS = 300_000;
/** Longest file name most file systems allow (NAME_MAX on Linux and macOS, NTFS's limit). */
const MAX_FOLDER_NAME = 255;
/** Partitions looked at per turn of the event loop by a retention pass. */
const RETENTION_STEP_PARTITIONS = 100;
/** Records per step of a live tail. */
const TAIL_BATCH_RECORDS = 1000;
const TAIL_BATCH_BYTES = 1024 * 1024;

interface PartitionState {
  readonly partition: number;
  assignment: PartitionAssignment;
  readonly dir: string;
  /** Its log stays open for good once opened: a group coordinator holds it (`__consumer_offsets`). */
  readonly keepOpen: boolean;
  /**
   * What its log showed when it was last closed: a closed log does not change, so
   * describe and metrics answer from this without opening it again.
   */
  closed: LogStats | undefined;
  /** Segment files its folder held when looked at before its log was ever opened (retention). */
  unopenedSegments: number | undefined;
}

interface LogStats {
  startOffset: number;
  endOffset: number;
  sizeBytes: number;
  segmentCount: number;
}

/** The messages of one batch produce bound for one partition. */
interface BatchGroup {
  indexes: number[];
  records: RecordInput[];
  messages: ProduceMessage[];
}

interface TopicState {
  meta: TopicMetadata;
  partitions: PartitionState[];
  /** Next partition for a message with neither key nor partition. */
  roundRobin: number;
  counters: TopicCounters;
  /** Aborted when the topic is deleted: wakes its long polls and ends its tails. */
  readonly lifetime: AbortController;
}

export interface BrokerDeps {
  metrics?: BrokerMetrics;
  directory?: BrokerDirectory;
  forwarder?: Forwarder;
  /** Builds the proposer over the broker's store; default applies changes locally. */
  proposer?: (store: MetadataStore) => MetadataProposer;
  warn?: (message: string) => void;
  /** Carries group calls to their coordinator (the cluster's); default: none. */
  groupSender?: GroupCallSender;
  /** Partition count of `__consumer_offsets` if this broker creates it. */
  offsetsPartitions?: number;
}

/**
 * The broker, free of any transport: topics, schemas, produce, fetch and live tails
 * over the partition logs under `<dataDir>/<topic>-<partition>/`. Metadata changes go
 * through the proposer (the cluster's controller later); the broker applies whatever
 * lands in its metadata store, whoever proposed it. Every partition call first asks
 * whether this broker leads the partition and otherwise hands it to the forwarder.
 */
export class Broker {
  readonly config: BrokerConfig;
  readonly metrics: BrokerMetrics;
  readonly metadata: MetadataStore;
  readonly directory: BrokerDirectory;
  /** Consumer groups: coordinator of the groups of the `__consumer_offsets` partitions led here. */
  readonly groups: GroupService;
  private readonly proposer: MetadataProposer;
  private readonly forwarder: Forwarder;
  private readonly warn: (message: string) => void;
  private readonly schemas = new SchemaRegistry();
  private readonly topics = new Map<string, TopicState>();
  private readonly deletingDirs = new Set<string>();
  private readonly deletions = new Set<Promise<void>>();
  private readonly lifetime = new AbortController();
  private readonly logOptions: Partial<LogOptions>;
  private readonly unsubscribe: () => void;
  private readonly retentionTimer: ReturnType<typeof setInterval> | undefined;
  private retentionRun: Promise<void> | undefined;
  /**
   * The partition logs open now, at most config.maxOpenPartitions of those nobody is
   * using: opened on first use (a 10,000-partition topic costs nothing until written),
   * the least recently used idle one closed when another must open.
   */
  private readonly logs: OpenLogs<PartitionState>;
  private readonly lock: DataDirLock;
  private closing: Promise<void> | undefined;

  private constructor(config: BrokerConfig, deps: BrokerDeps) {
    this.config = config;
    this.metrics = deps.metrics ?? new BrokerMetrics();
    this.warn = deps.warn ?? ((m) => console.warn(m));
    this.directory = deps.directory ?? singleBrokerDirectory({ id: config.id, address: config.advertise });
    this.forwarder = deps.forwarder ?? noForwarder;
    // A message of maxMessageBytes must fit in one record, with room for its framing.
    this.logOptions = { ...config.log, maxRecordBytes: config.maxMessageBytes + 64 * 1024 };
    this.logs = new OpenLogs<PartitionState>(config.maxOpenPartitions, {
      warn: this.warn,
      evicting: (ps, log) => (ps.closed = statsOf(log)),
    });
    this.lock = DataDirLock.acquire(config.dataDir);
    try {
      this.metadata = MetadataStore.open(join(config.dataDir, "meta"), this.directory.brokers());
    } catch (error) {
      this.lock.release();
      throw error;
    }
    this.proposer = deps.proposer ? deps.proposer(this.metadata) : new LocalMetadataProposer(this.metadata);
    for (const meta of this.metadata.current.topics.values()) this.topics.set(meta.name, this.newTopicState(meta));
    this.removeOrphanPartitions();
    this.unsubscribe = this.metadata.onChange((doc, change) => this.onMetadata(doc, change === undefined));
    this.metrics.setPartitionSource(() => this.partitionStats());
    const { retentionMs, retentionBytes } = config.log;
    if (retentionMs !== undefined || retentionBytes !== undefined) {
      this.retentionTimer = setInterval(() => this.enforceRetention(), config.retentionCheckMs);
      this.retentionTimer.unref();
    }
    this.groups = new GroupService(
      {
        self: this.self,
        metadata: this.metadata,
        brokers: () => this.directory.brokers(),
        createTopic: (topic, partitions) => this.addTopic(topic, partitions),
        describeTopic: (topic) => this.describeTopic(topic),
        localLog: (topic, partition) => this.leaderLog(topic, partition),
      },
      { sender: deps.groupSender, offsetsPartitions: deps.offsetsPartitions, warn: this.warn },
    );
    registerGroupMetrics(this.metrics.registry, () => this.groups.metricsSnapshot());
  }

  /** Opens the broker over its data dir: metadata is read, partitions open lazily. */
  static open(config: BrokerConfig, deps: BrokerDeps = {}): Broker {
    return new Broker(config, deps);
  }

  get self(): BrokerRef {
    return this.directory.self;
  }

  // ---- topics ---------------------------------------------------------------------

  /** "created", or "exists" when the topic is already there with this partition count. */
  async createTopic(topic: unknown, partitions: unknown): Promise<"created" | "exists"> {
    // The group coordinators create it on first use, with the partition count every
    // broker derives a group's coordinator from; a client's count would break that.
    if (typeof topic === "string" && isInternalTopic(topic))
      throw new StreamNestError("INVALID_REQUEST", `${OFFSETS_TOPIC} is internal: the brokers create it when a consumer group first needs it`);
    return this.addTopic(topic, partitions);
  }

  private async addTopic(topic: unknown, partitions: unknown): Promise<"created" | "exists"> {
    assertTopicName(topic);
    const max = this.config.maxPartitions;
    if (typeof partitions !== "number" || !Number.isInteger(partitions) || partitions < 1 || partitions > max)
      throw new StreamNestError(
        "INVALID_PARTITIONS",
        `partitions must be an integer from 1 to ${max}, got ${JSON.stringify(partitions) ?? String(partitions)}`,
      );
    // Each partition is a folder "<topic>-<p>"; file systems allow 255 bytes per name, so
    // a long name leaves room for fewer partitions (249 characters: up to 10,000).
    const longest = `${topic}-${partitions - 1}`.length;
    if (longest > MAX_FOLDER_NAME)
      throw new StreamNestError(
        "INVALID_PARTITIONS",
        `a topic named with ${topic.length} characters can have at most ${10 ** (MAX_FOLDER_NAME - topic.length - 1)} partitions (its folders "<topic>-<partition>" must fit in ${MAX_FOLDER_NAME} characters), not ${partitions}`,
      );
    const existing = this.metadata.topic(topic);
    if (existing) {
      if (existing.partitions.length === partitions) return "exists";
      throw new StreamNestError(
        "TOPIC_EXISTS",
        `topic "${topic}" already exists with ${existing.partitions.length} partition${existing.partitions.length === 1 ? "" : "s"}, not ${partitions}`,
      );
    }
    // Partition folders are named after the topic, and macOS and Windows file systems
    // ignore case: "Demo" and "demo" would share (and delete) each other's logs there.
    const lower = topic.toLowerCase();
    for (const other of this.metadata.current.topics.keys())
      if (other.toLowerCase() === lower)
        throw new StreamNestError(
          "INVALID_TOPIC_NAME",
          `topic "${topic}" differs from the existing topic "${other}" only in case; their folders would collide on case-insensitive file systems (macOS, Windows)`,
        );
    // A topic of the same name being deleted must be gone from disk first.
    await this.settleDeletions();
    const { changed } = await this.proposer.propose({
      type: "create-topic",
      topic,
      topicId: crypto.randomUUID(),
      partitions: placePartitions(this.directory.brokers(), partitions),
      createdAt: Date.now(),
    });
    return changed ? "created" : "exists";
  }

  /** Removes the topic, its schemas and every local partition's data. */
  async deleteTopic(topic: unknown): Promise<void> {
    this.topicState(topic);
    if (isInternalTopic(topic as string))
      throw new StreamNestError("INVALID_REQUEST", `${OFFSETS_TOPIC} holds every group's committed offsets and cannot be deleted`);
    await this.proposer.propose({ type: "delete-topic", topic: topic as string });
    await this.settleDeletions();
  }

  /** Topic names; internal ones (`__consumer_offsets`) only when asked. */
  listTopics(includeInternal = false): string[] {
    return [...this.topics.keys()].filter((t) => includeInternal || !isInternalTopic(t)).sort();
  }

  /**
   * The description with offsets and sizes of every partition, asking each leader for
   * its own; a partition whose leader cannot be reached is left without them.
   */
  async describeTopicAcrossCluster(topic: unknown): Promise<TopicDescription> {
    const local = this.describeTopic(topic);
    if (local.partitions.every((p) => p.endOffset !== undefined)) return local;
    const leaders = new Map<number, BrokerRef>();
    for (const p of local.partitions) if (p.endOffset === undefined) leaders.set(p.leader, { id: p.leader, address: p.broker });
    const remote = new Map<number, PartitionRange>();
    await Promise.all(
      [...leaders.values()].map(async (leader) => {
        const ranges = await this.forwarder.offsets?.(leader, local.topic).catch(() => []);
        // Only what it leads by this broker's metadata: brokers may disagree for a moment.
        for (const r of ranges ?? []) if (local.partitions[r.partition]?.leader === leader.id) remote.set(r.partition, r);
      }),
    );
    return {
      ...local,
      partitions: local.partitions.map((p) => {
        const r = p.endOffset === undefined ? remote.get(p.partition) : undefined;
        return r ? { ...p, startOffset: r.startOffset, endOffset: r.endOffset, sizeBytes: r.sizeBytes } : p;
      }),
    };
  }

  describeTopic(topic: unknown): TopicDescription {
    const state = this.topicState(topic);
    const doc = this.metadata.current;
    return {
      topic: state.meta.name,
      createdAt: state.meta.createdAt,
      schemaVersion: state.meta.schemas.at(-1)?.version ?? null,
      partitions: state.partitions.map((ps) => {
        const { leader, replicas, leaderEpoch } = ps.assignment;
        const base = { partition: ps.partition, leader, replicas: [...replicas], leaderEpoch, broker: this.addressOf(leader, doc) };
        if (leader !== this.self.id) return base;
        // A partition never written has no folder yet; reading it must not create one.
        const stats = this.logStats(ps);
        if (!stats) return { ...base, startOffset: 0, endOffset: 0, sizeBytes: 0 };
        return { ...base, startOffset: stats.startOffset, endOffset: stats.endOffset, sizeBytes: stats.sizeBytes };
      }),
    };
  }

  clusterMetadata(): ClusterMetadataView {
    const doc = this.metadata.current;
    return {
      version: doc.version,
      brokers: this.brokerList(doc),
      topics: this.listTopics().map((name) => {
        const state = this.topics.get(name) as TopicState;
        return {
          topic: name,
          partitions: state.partitions.map((ps) => ({
            partition: ps.partition,
            leader: ps.assignment.leader,
            broker: this.addressOf(ps.assignment.leader, doc),
          })),
        };
      }),
    };
  }

  // ---- schemas --------------------------------------------------------------------

  /** Adds a schema version (the new newest); returns its version number. */
  async registerSchema(topic: unknown, schema: unknown): Promise<number> {
    this.topicState(topic);
    const name = topic as string;
    if (isInternalTopic(name))
      throw new StreamNestError("INVALID_REQUEST", `${OFFSETS_TOPIC} is written by the group coordinators only and takes no schema`);
    // Checked before proposing: a schema that is too costly or does not compile never reaches metadata.
    checkNewSchema(schema);
    await this.proposer.propose({
      type: "register-schema",
      topic: name,
      schema: schema as Record<string, unknown>,
      registeredAt: Date.now(),
    });
    const versions = this.metadata.topic(name)?.schemas;
    if (!versions || versions.length === 0) throw new StreamNestError("TOPIC_NOT_FOUND", `topic "${name}" was deleted meanwhile`);
    return versions[versions.length - 1].version;
  }

  /** Every schema version of the topic, oldest first. */
  schemaVersions(topic: unknown): SchemaVersion[] {
    return [...this.topicState(topic).meta.schemas];
  }

  // ---- produce --------------------------------------------------------------------

  /** One message; throws the reason when it is refused. */
  async produce(topic: unknown, msg: ProduceMessage): Promise<ProduceAck> {
    this.assertRunning();
    const state = this.topicState(topic);
    assertWritable(state.meta.name);
    const record = this.record(state, msg, Date.now(), "message");
    const partition = this.choosePartition(state, msg, record);
    const ps = state.partitions[partition];
    if (ps.assignment.leader !== this.self.id) {
      // The call names the partition for all its messages: repeating it per message would
      // make the forwarded body larger than the one this broker accepted under its limit.
      const [outcome] = await this.forwarder.produce(this.leaderRef(ps), state.meta.name, partition, [msg]);
      if ("error" in outcome) throw new StreamNestError(outcome.error, outcome.message, outcome.details);
      return outcome;
    }
    const started = performance.now();
    const lease = await this.leaseLog(ps);
    let baseOffset: number;
    try {
      ({ baseOffset } = await lease.log.append([record]));
    } finally {
      lease.release();
    }
    this.metrics.produceLatency.observe((performance.now() - started) / 1000);
    state.counters.produced++;
    state.counters.bytesIn += recordBytes(record);
    return { partition, offset: baseOffset };
  }

  /**
   * A batch: each message is checked on its own (a refused one gets its error, the
   * others go on), then one append per partition. Outcomes come back in order.
   */
  async produceBatch(topic: unknown, messages: readonly ProduceMessage[]): Promise<ProduceOutcome[]> {
    this.assertRunning();
    const state = this.topicState(topic);
    assertWritable(state.meta.name);
    if (!Array.isArray(messages) || messages.length === 0)
      throw new StreamNestError("INVALID_REQUEST", "messages must be a non-empty array");
    const outcomes: ProduceOutcome[] = new Array(messages.length);
    const groups = new Map<number, BatchGroup>();
    const now = Date.now();
    for (let i = 0; i < messages.length; i++) {
      try {
        const record = this.record(state, messages[i], now, `messages[${i}].message`);
        const partition = this.choosePartition(state, messages[i], record);
        let group = groups.get(partition);
        if (!group) groups.set(partition, (group = { indexes: [], records: [], messages: [] }));
        group.indexes.push(i);
        group.records.push(record);
        group.messages.push(messages[i]);
      } catch (error) {
        outcomes[i] = failure(error);
      }
    }
    const run = async ([partition, group]: [number, BatchGroup]): Promise<void> => {
      const ps = state.partitions[partition];
      try {
        if (ps.assignment.leader !== this.self.id) {
          const forwarded = await this.forwarder.produce(this.leaderRef(ps), state.meta.name, partition, group.messages);
          group.indexes.forEach((index, j) => (outcomes[index] = forwarded[j]));
          return;
        }
        const started = performance.now();
        const lease = await this.leaseLog(ps);
        let baseOffset: number;
        try {
          ({ baseOffset } = await lease.log.append(group.records));
        } finally {
          lease.release();
        }
        this.metrics.produceLatency.observe((performance.now() - started) / 1000);
        let bytes = 0;
        for (const r of group.records) bytes += recordBytes(r);
        state.counters.produced += group.records.length;
        state.counters.bytesIn += bytes;
        group.indexes.forEach((index, j) => (outcomes[index] = { partition, offset: baseOffset + j }));
      } catch (error) {
        const outcome = failure(error);
        for (const index of group.indexes) outcomes[index] = outcome;
      }
    };
    const local = [...groups].filter(([partition]) => state.partitions[partition].assignment.leader === this.self.id);
    const forwarded = [...groups].filter(([partition]) => state.partitions[partition].assignment.leader !== this.self.id);
    // A batch spread over thousands of partitions (round-robin over a large topic) holds
    // every log it appends to until written: in waves of the open-log limit, not all at once.
    const waves = async (): Promise<void> => {
      for (let i = 0; i < local.length; i += this.logs.limit) await Promise.all(local.slice(i, i + this.logs.limit).map(run));
    };
    await Promise.all([...forwarded.map(run), waves()]);
    return outcomes;
  }

  private record(state: TopicState, msg: ProduceMessage, now: number, field: string): RecordInput {
    return toRecord(msg, state.meta.name, this.config.maxMessageBytes, this.schemas.latest(state.meta.schemas), now, field);
  }

  /** Explicit partition, else Kafka's murmur2 of the key, else round-robin. */
  private choosePartition(state: TopicState, msg: ProduceMessage, record: RecordInput): number {
    const count = state.partitions.length;
    const explicit = msg.partition;
    if (explicit !== undefined && explicit !== null) {
      if (typeof explicit !== "number" || !Number.isInteger(explicit))
        throw new StreamNestError("INVALID_REQUEST", "partition must be an integer");
      if (explicit < 0 || explicit >= count)
        throw new StreamNestError(
          "PARTITION_OUT_OF_RANGE",
          `topic "${state.meta.name}" has partitions 0 to ${count - 1}; there is no partition ${explicit}`,
        );
      return explicit;
    }
    if (record.key !== null) return (murmur2(record.key) & 0x7fffffff) % count;
    const p = state.roundRobin;
    state.roundRobin = p + 1 >= count ? 0 : p + 1;
    return p;
  }

  // ---- fetch ----------------------------------------------------------------------

  /**
   * Records from `offset`. With none there and `timeoutMs`, waits for an append (a long
   * poll, like Kafka's fetch.max.wait.ms). `allowPastEnd` turns an offset beyond the end
   * into an empty answer instead of OFFSET_OUT_OF_RANGE (the seed's /consume answers 204).
   * `uncounted` reads without counting the records as consumed (an HTTP HEAD).
   */
  async fetch(request: FetchRequest & { allowPastEnd?: boolean; uncounted?: boolean }): Promise<FetchResult> {
    const state = this.topicState(request.topic);
    const ps = this.partitionState(state, request.partition);
    const offset = checkOffset(request.offset);
    const maxRecords = bounded("max", request.maxRecords, DEFAULT_FETCH_MAX_RECORDS, 1, FETCH_MAX_RECORDS_LIMIT);
    const maxBytes = bounded("max_bytes", request.maxBytes, DEFAULT_FETCH_MAX_BYTES, 1, FETCH_MAX_BYTES_LIMIT);
    const timeoutMs = bounded("timeout_ms", request.timeoutMs, 0, 0, FETCH_TIMEOUT_LIMIT_MS);
    if (ps.assignment.leader !== this.self.id)
      return this.forwarder.fetch(this.leaderRef(ps), { ...request, offset, maxRecords, maxBytes, timeoutMs });
    const written = await this.leaseWritten(ps);
    if (!written) {
      // Never written: answered as the empty log it is, without creating its folder
      // (a scan of a 10,000-partition topic, or a refused read, must not write to disk).
      if (offset > 0 && request.allowPastEnd !== true) throw outOfRange(offset, 0, 0);
      if (timeoutMs === 0) return { records: [], nextOffset: offset, startOffset: 0, endOffset: 0 };
    }
    // Waiting needs the log to hear of appends; the lease keeps it open meanwhile.
    const lease = written ?? (await this.leaseLog(ps));
    try {
      return await this.fetchFrom(state, lease.log, offset, maxRecords, maxBytes, timeoutMs, request);
    } finally {
      lease.release();
    }
  }

  private async fetchFrom(
    state: TopicState,
    log: PartitionLog,
    offset: number,
    maxRecords: number,
    maxBytes: number,
    timeoutMs: number,
    request: FetchRequest & { allowPastEnd?: boolean; uncounted?: boolean },
  ): Promise<FetchResult> {
    const pastEnd = request.allowPastEnd === true && offset > log.endOffset;
    const counted = request.uncounted !== true;
    let records = pastEnd ? [] : this.read(state, log, offset, maxRecords, maxBytes, counted);
    if (records.length === 0 && timeoutMs > 0) {
      this.metrics.waitingFetches.inc();
      try {
        await waitForAppend(log, offset, timeoutMs, [request.signal, state.lifetime.signal, this.lifetime.signal]);
      } finally {
        this.metrics.waitingFetches.dec();
      }
      if (state.lifetime.signal.aborted) throw topicGone(state.meta.name);
      if (!this.lifetime.signal.aborted && log.endOffset > offset) records = this.read(state, log, offset, maxRecords, maxBytes, counted);
    }
    return {
      records,
      nextOffset: records.length > 0 ? records[records.length - 1].offset + 1 : offset,
      startOffset: log.startOffset,
      endOffset: log.endOffset,
    };
  }

  private read(state: TopicState, log: PartitionLog, offset: number, maxRecords: number, maxBytes: number, counted: boolean): StoredRecord[] {
    const started = performance.now();
    const records = log.read(offset, maxRecords, maxBytes);
    this.metrics.readLatency.observe((performance.now() - started) / 1000);
    if (counted && records.length > 0) this.countConsumed(state, records);
    return records;
  }

  private countConsumed(state: TopicState, records: StoredRecord[]): void {
    let bytes = 0;
    for (const r of records) bytes += recordBytes(r);
    state.counters.consumed += records.length;
    state.counters.bytesOut += bytes;
  }

  /**
   * A live tail: every record from `offset` (default: the end) on, then each new one as
   * it is appended, until the signal aborts, the topic is deleted or the broker closes.
   * The range is checked before anything is returned, so a bad offset is an error and
   * not an empty stream.
   */
  async tail(request: TailRequest): Promise<Tail> {
    const state = this.topicState(request.topic);
    const ps = this.partitionState(state, request.partition);
    const requested = request.offset === undefined ? undefined : checkOffset(request.offset);
    if (ps.assignment.leader !== this.self.id)
      return this.forwarder.tail(this.leaderRef(ps), { ...request, offset: requested });
    // The range is checked before a never-written partition's folder is created.
    const written = await this.leaseWritten(ps);
    if (!written && requested !== undefined && requested > 0) throw outOfRange(requested, 0, 0);
    // Held until the tail ends: its log is never closed under it.
    const lease = written ?? (await this.leaseLog(ps));
    const log = lease.log;
    const start = requested ?? log.endOffset;
    if (start < log.startOffset || start > log.endOffset) {
      lease.release();
      throw outOfRange(start, log.startOffset, log.endOffset);
    }
    const closed = new AbortController();
    const signals = [request.signal, state.lifetime.signal, this.lifetime.signal, closed.signal];
    // Counted from now, not from the first read: a stream nobody reads still holds a slot.
    this.metrics.activeStreams.inc();
    let released = false;
    let closedByCaller = false;
    const release = (): void => {
      if (released) return;
      released = true;
      for (const s of signals) s.removeEventListener("abort", release);
      closed.abort();
      this.metrics.activeStreams.dec();
      lease.release();
    };
    const self = this;
    async function* records(): AsyncGenerator<StoredRecord[]> {
      try {
        let next = start;
        while (!signals.some((s) => s.aborted)) {
          const batch = log.read(next, TAIL_BATCH_RECORDS, TAIL_BATCH_BYTES);
          if (batch.length > 0) {
            next = batch[batch.length - 1].offset + 1;
            self.countConsumed(state, batch);
            yield batch;
            continue;
          }
          await waitForAppend(log, next, Infinity, signals);
        }
        // A reader still there is told why its stream ends, rather than seeing it just stop.
        if (state.lifetime.signal.aborted && !closedByCaller && !request.signal.aborted && !self.lifetime.signal.aborted)
          throw topicGone(state.meta.name);
      } finally {
        release();
      }
    }
    for (const s of signals) s.addEventListener("abort", release, { once: true });
    if (signals.some((s) => s.aborted)) release();
    const close = (): void => {
      closedByCaller = true;
      release();
    };
    return { startOffset: start, records: records(), close };
  }

  /** Throws as a read of it would when the topic or the partition does not exist. */
  assertPartition(topic: unknown, partition: unknown): void {
    this.partitionState(this.topicState(topic), partition);
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
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    await this.retentionRun;
    await this.logs.closeAll();
    await this.settleDeletions();
    this.lock.release();
  }

  // ---- internals ------------------------------------------------------------------

  /** The log of a partition led here (the group coordinator's `__consumer_offsets`). */
  private leaderLog(topic: string, partition: number): PartitionLog {
    const ps = this.partitionState(this.topicState(topic), partition);
    if (ps.assignment.leader !== this.self.id)
      throw new StreamNestError("NOT_COORDINATOR", `partition ${partition} of "${topic}" is led by broker ${ps.assignment.leader}`);
    // The coordinator keeps the log (the lease is never given back): it stays open for good.
    return this.logs.acquireNow(ps.dir, ps, () => this.openLog(ps), { keep: true }).log;
  }

  private assertRunning(): void {
    if (this.lifetime.signal.aborted) throw new StreamNestError("LEADER_UNAVAILABLE", "the broker is shutting down");
  }

  private topicState(topic: unknown): TopicState {
    const state = typeof topic === "string" ? this.topics.get(topic) : undefined;
    if (state) return state;
    assertTopicName(topic);
    throw new StreamNestError("TOPIC_NOT_FOUND", `topic "${topic}" does not exist`);
  }

  private partitionState(state: TopicState, partition: unknown): PartitionState {
    if (typeof partition !== "number" || !Number.isInteger(partition))
      throw new StreamNestError("INVALID_REQUEST", "partition must be an integer");
    const ps = state.partitions[partition];
    if (!ps)
      throw new StreamNestError(
        "PARTITION_OUT_OF_RANGE",
        `topic "${state.meta.name}" has partitions 0 to ${state.partitions.length - 1}; there is no partition ${partition}`,
      );
    return ps;
  }

  /** Whether the partition was ever written: its log is open, was, or its folder exists. */
  private isWritten(ps: PartitionState): boolean {
    return this.logs.get(ps.dir) !== undefined || ps.closed !== undefined || existsSync(ps.dir);
  }

  /** A lease on the partition's log, opening it (and creating its folder) if need be. */
  private leaseLog(ps: PartitionState): Promise<LogLease> {
    return this.logs.acquire(ps.dir, ps, () => this.openLog(ps), { keep: ps.keepOpen });
  }

  /** A lease on the log if the partition was ever written, else undefined. */
  private async leaseWritten(ps: PartitionState): Promise<LogLease | undefined> {
    return this.isWritten(ps) ? this.leaseLog(ps) : undefined;
  }

  /**
   * Start and end offsets and size, without opening a closed log; a log written before
   * this start and not opened since is opened for the look and closed again.
   */
  private logStats(ps: PartitionState): LogStats | undefined {
    const open = this.logs.get(ps.dir);
    if (open) return statsOf(open);
    if (ps.closed) return ps.closed;
    if (!existsSync(ps.dir)) return undefined;
    const lease = this.logs.acquireNow(ps.dir, ps, () => this.openLog(ps), { keep: ps.keepOpen, passing: true });
    try {
      return statsOf(lease.log);
    } finally {
      lease.release();
    }
  }

  /** Only through `logs`, which keeps the count of open logs and never opens a folder twice. */
  private openLog(ps: PartitionState): PartitionLog {
    if (this.lifetime.signal.aborted) throw new StreamNestError("LEADER_UNAVAILABLE", "the broker is shutting down");
    if (this.deletingDirs.has(ps.dir))
      throw new StreamNestError("LEADER_UNAVAILABLE", `the previous data of ${ps.dir} is still being deleted; retry`);
    try {
      return PartitionLog.open(ps.dir, this.logOptions, this.warn);
    } catch (error) {
      if (!isOutOfFiles(error)) throw error;
      throw new StreamNestError(
        "STORAGE_ERROR",
        `${(error as Error).message}, or lower --max-open-partitions (now ${this.logs.limit}, with ${this.logs.size} partition logs open)`,
      );
    }
  }

  private newTopicState(meta: TopicMetadata): TopicState {
    return {
      meta,
      partitions: meta.partitions.map((assignment) => ({
        partition: assignment.partition,
        assignment,
        dir: join(this.config.dataDir, `${meta.name}-${assignment.partition}`),
        keepOpen: isInternalTopic(meta.name),
        closed: undefined,
        unopenedSegments: undefined,
      })),
      // Each broker starts its round-robin one partition further than the broker before
      // it, so producers spread over the brokers also spread over the partitions.
      roundRobin: meta.partitions.length > 0 ? (this.config.id - 1) % meta.partitions.length : 0,
      counters: this.metrics.topic(meta.name),
      lifetime: new AbortController(),
    };
  }

  /**
   * Brings the topic states in line with a new metadata document, whoever changed it.
   * `adopted`: a whole document taken from a peer (catching up), whose deletions this
   * broker did not see happen, so removing their data here is said in the log.
   */
  private onMetadata(doc: MetadataDocument, adopted = false): void {
    for (const [name, state] of [...this.topics]) {
      const meta = doc.topics.get(name);
      if (!meta || meta.id !== state.meta.id) {
        if (adopted && state.partitions.some((ps) => existsSync(ps.dir)))
          this.warn(
            `topic "${name}" ${meta ? "was deleted and created again" : "is no longer"} in metadata version ${doc.version}: removing its partitions here`,
          );
        this.dropTopic(name, state);
      } else if (meta !== state.meta) {
        state.meta = meta;
        for (const ps of state.partitions) ps.assignment = meta.partitions[ps.partition];
      }
    }
    for (const meta of doc.topics.values()) if (!this.topics.has(meta.name)) this.topics.set(meta.name, this.newTopicState(meta));
  }

  private dropTopic(name: string, state: TopicState): void {
    this.topics.delete(name);
    state.lifetime.abort();
    this.metrics.forgetTopic(name);
    for (const ps of state.partitions) {
      const log = this.logs.detach(ps.dir);
      // A log evicted just before still has its close running: the folder goes after it.
      const closing = this.logs.closing(ps.dir);
      this.deletingDirs.add(ps.dir);
      const removal = log
        ? deletePartitionLog(log)
        : closing
          ? closing.then(() => rmSync(ps.dir, { recursive: true, force: true }))
          : Promise.resolve(rmSync(ps.dir, { recursive: true, force: true }));
      const done = removal
        .catch((error: unknown) => this.warn(`could not delete ${ps.dir}: ${(error as Error).message}`))
        .finally(() => {
          this.deletingDirs.delete(ps.dir);
          this.deletions.delete(done);
        });
      this.deletions.add(done);
    }
  }

  private async settleDeletions(): Promise<void> {
    while (this.deletions.size > 0) await Promise.all([...this.deletions]);
  }

  /**
   * Partition folders that metadata no longer knows (a topic deleted just before a
   * crash) are removed on start, so a topic created again under that name starts
   * empty. Only folders that look like partition logs are touched.
   */
  private removeOrphanPartitions(): void {
    let entries: string[];
    try {
      entries = readdirSync(this.config.dataDir);
    } catch {
      return;
    }
    const wanted = new Set<string>();
    for (const state of this.topics.values()) for (const ps of state.partitions) wanted.add(ps.dir);
    const orphans: string[] = [];
    for (const entry of entries) {
      const match = /^(.+)-(\d+)$/.exec(entry);
      if (!match || topicNameProblem(match[1]) !== undefined) continue;
      const dir = join(this.config.dataDir, entry);
      if (wanted.has(dir)) continue;
      try {
        if (!statSync(dir).isDirectory() || !readdirSync(dir).every((f) => /\.log$|^index\.sqlite/.test(f))) continue;
      } catch {
        continue;
      }
      orphans.push(dir);
    }
    // No metadata at all (meta/ lost or deleted, not a topic deleted): these folders may be
    // every record the broker holds, so they are kept for their topics to be created again.
    if (this.metadata.version === 0) {
      if (orphans.length > 0)
        this.warn(`no metadata names the partition folders ${orphans.join(", ")}: kept; create their topics again to serve them, or delete the folders`);
      return;
    }
    for (const dir of orphans) {
      this.warn(`removing ${dir}: its topic is no longer in the metadata`);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private enforceRetention(): void {
    // A pass over many closed logs can outlast the interval: one pass at a time.
    if (this.retentionRun) return;
    this.retentionRun = this.retentionPass().finally(() => (this.retentionRun = undefined));
  }

  /**
   * Every partition with data here, open or not: a closed log is opened in turn for it
   * (and closed again) when it has a rolled segment that retention could delete.
   */
  private async retentionPass(): Promise<void> {
    let step = 0;
    for (const state of [...this.topics.values()]) {
      // Committed offsets are kept until their group deletes them, whatever the retention.
      if (isInternalTopic(state.meta.name)) continue;
      for (const ps of state.partitions) {
        if (this.lifetime.signal.aborted) return;
        if (state.lifetime.signal.aborted) break;
        if (++step % RETENTION_STEP_PARTITIONS === 0) await new Promise((resolve) => setImmediate(resolve));
        const open = this.logs.get(ps.dir);
        if (!open && !this.hasRolledSegments(ps)) continue;
        let lease: LogLease | undefined;
        try {
          lease = open ? undefined : await this.logs.acquire(ps.dir, ps, () => this.openLog(ps), { passing: true });
          (lease?.log ?? open)?.enforceRetention();
        } catch (error) {
          if (!state.lifetime.signal.aborted && !this.lifetime.signal.aborted)
            this.warn(`retention of ${ps.dir} failed: ${(error as Error).message}`);
        } finally {
          lease?.release();
        }
      }
    }
  }

  /**
   * Whether a closed log has more than its active segment: only then can retention delete
   * any. A folder changes only while its log is open, so what was seen is kept.
   */
  private hasRolledSegments(ps: PartitionState): boolean {
    if (ps.closed) return ps.closed.segmentCount > 1;
    if (ps.unopenedSegments === undefined) {
      try {
        ps.unopenedSegments = listSegmentBases(ps.dir).length;
      } catch {
        // No folder: never written.
        ps.unopenedSegments = 0;
      }
    }
    return ps.unopenedSegments > 1;
  }

  private *partitionStats(): Iterable<PartitionStat> {
    for (const state of this.topics.values())
      for (const ps of state.partitions) {
        const open = this.logs.get(ps.dir);
        const stats = open ? statsOf(open) : ps.closed;
        if (stats) yield { topic: state.meta.name, partition: ps.partition, endOffset: stats.endOffset, sizeBytes: stats.sizeBytes };
      }
  }

  private brokerList(doc: MetadataDocument): BrokerRef[] {
    const byId = new Map<number, BrokerRef>();
    for (const b of doc.brokers) byId.set(b.id, b);
    for (const b of this.directory.brokers()) byId.set(b.id, b);
    return [...byId.values()].sort((a, b) => a.id - b.id);
  }

  private addressOf(id: number, doc: MetadataDocument): string {
    if (id === this.self.id) return this.self.address;
    return this.directory.brokers().find((b) => b.id === id)?.address ?? brokerAddress(doc, id) ?? `broker-${id}`;
  }

  private leaderRef(ps: PartitionState): BrokerRef {
    const id = ps.assignment.leader;
    return { id, address: this.addressOf(id, this.metadata.current) };
  }
}

function statsOf(log: PartitionLog): LogStats {
  return { startOffset: log.startOffset, endOffset: log.endOffset, sizeBytes: log.sizeBytes, segmentCount: log.segmentCount };
}

function recordBytes(record: RecordInput): number {
  let bytes = record.value.length + (record.key?.length ?? 0);
  for (const h of record.headers) bytes += Buffer.byteLength(h.key) + (h.value?.length ?? 0);
  return bytes;
}

function failure(error: unknown): ProduceOutcome {
  if (error instanceof StreamNestError) return error.toJSON();
  return { error: "INTERNAL_ERROR", message: error instanceof Error ? error.message : String(error) };
}

/**
 * Clients never write to an internal topic (Kafka refuses them too): a record forged in
 * `__consumer_offsets` would move any group's committed offsets past its generation checks.
 */
function assertWritable(topic: string): void {
  if (isInternalTopic(topic))
    throw new StreamNestError(
      "INVALID_REQUEST",
      `${topic} is an internal topic written by the group coordinators only; commit offsets with POST /groups/:group/offsets`,
    );
}

function outOfRange(offset: number, startOffset: number, endOffset: number): StreamNestError {
  return new StreamNestError("OFFSET_OUT_OF_RANGE", `offset ${offset} is outside the partition's range [${startOffset}, ${endOffset}]`, {
    startOffset,
    endOffset,
  });
}

function topicGone(topic: string): StreamNestError {
  return new StreamNestError("TOPIC_NOT_FOUND", `topic "${topic}" was deleted`);
}

function checkOffset(offset: unknown): number {
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0)
    throw new StreamNestError("INVALID_OFFSET", `offset must be a non-negative integer, got ${String(offset)}`);
  return offset;
}

function bounded(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
    throw new StreamNestError("INVALID_REQUEST", `${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  return value;
}
