import type { AlterPartitionChange, BrokerRef, TopicMetadata } from "../../broker/metadata.ts";
import { isrOf, partitionEpochOf } from "../../broker/metadata.ts";
import type { ReplicaHost } from "../../broker/replica-host.ts";
import { REPLICATION_LIMITS } from "../../config/replication.ts";
import { StreamNestError } from "../../lib/errors.ts";
import { EMPTY_CHUNK } from "../../storage/frame-chunk.ts";
import type { PartitionLog } from "../../storage/partition-log.ts";
import { afterBrokerDown, preferredLeader, withoutLostCopy } from "./election.ts";
import { type FetchAnswerHead, type FetchRequestHead, decodeFetchRequest, encodeFetchAnswerParts } from "./fetch-wire.ts";
import { FollowerLoop } from "./follower-loop.ts";
import { epochRunsFor } from "./follower-fetch.ts";
import { LeaderState } from "./leader-state.ts";
import type { PartitionRegistration } from "./types.ts";

/**
 * The driver of the replication core on a running broker: for every replicated
 * partition hosted here it keeps a LeaderState (this broker leads) or a FollowerLoop
 * (another does), as the committed metadata says; serves followers' fetches; proposes
 * ISR changes and elections through the metadata proposer (whichever runs it: today's
 * controller, the Raft quorum next); and reacts to brokers declared down through one
 * small interface, BrokerLiveness.
 */

/** Who is up: today the membership's heartbeats (dead after its timeout), next the quorum's fencing. */
export interface BrokerLiveness {
  isAlive(broker: number): boolean;
}

/** How a follower's fetch reaches its leader (the authenticated peer client). */
export interface ReplicaFetchTransport {
  /**
   * The answer's bytes; `authenticated` when they were checked against the leader's
   * signature (then the frames' CRCs, which the leader checked, are not computed again).
   */
  fetch(leader: BrokerRef, request: Uint8Array, timeoutMs: number, signal: AbortSignal): Promise<{ bytes: Uint8Array; authenticated: boolean }>;
}

export interface ReplicaManagerOptions {
  lagTimeMs: number;
  /** How long after start liveness is not acted on (the membership's dead-after and a heartbeat). */
  livenessGraceMs: number;
  unclean: boolean;
  now?: () => number;
}

interface Hosted {
  topic: string;
  topicId: string;
  partition: number;
  registration: PartitionRegistration;
  /**
   * The log object its appends are listened to on. The log itself is not held: replica
   * logs count toward --max-open-partitions, so an idle one may be closed and opened
   * again as a new object, which is then listened to instead (host.onReplicaLogOpen).
   */
  listened?: { log: PartitionLog; off: () => void };
  /** Followers' fetches waiting at this leader for an append. */
  readonly waiting: Set<(end: number) => void>;
  leader?: { state: LeaderState };
  /** Reads wait here: this broker leads and its HW is not yet known (what the host was last told). */
  hwPending?: boolean;
  /**
   * Leadership was taken up with a HW below the log end (from a checkpoint, or a
   * follower's last word): until the ISR has fetched, it may lag what was shown. A HW at
   * the log end cannot, so a new topic's reads never wait.
   */
  hwStale?: boolean;
  follower?: FollowerLoop;
}

interface ReplicationCounts {
  underReplicated: number;
  offline: number;
}

interface FollowerLag {
  topic: string;
  partition: number;
  replica: number;
  lagRecords: number;
  lagSeconds: number;
}

const key = (topic: string, partition: number): string => `${partition}:${topic}`;

/** Follower logs opened per event-loop turn after a metadata change (see deferOpen). */
const FOLLOWER_OPENS_PER_TURN = 4;

export class ReplicaManager {
  private readonly hosted = new Map<string, Hosted>();
  /** The keys of `hosted` by topic name, so that one topic is reconciled without a scan. */
  private readonly keysByTopic = new Map<string, Set<string>>();
  private readonly now: () => number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void) | undefined;
  private lastPreferredCheck = 0;
  private stopped = false;
  private startedAt = 0;
  /** Follower replicas whose logs open in a later turn (deferOpen), and those opening in this one. */
  /** Follower replicas waiting to open, by key, with their topic. */
  private readonly openLater = new Map<string, string>();
  private readonly openNow = new Set<string>();
  /** Partitions whose copy here was lost with the disk while this broker is in their ISR, by key. */
  private readonly lostInIsr = new Map<string, { topic: string; partition: number }>();
  /** Of those, the ones whose ISR change is being proposed now. */
  private readonly leaving = new Set<string>();
  private openTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly host: ReplicaHost,
    private readonly transport: ReplicaFetchTransport,
    private readonly liveness: BrokerLiveness,
    private readonly options: ReplicaManagerOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.startedAt = this.now();
    const offOpen = this.host.onReplicaLogOpen((topic, partition, log) => {
      const h = this.hosted.get(key(topic, partition));
      if (h) this.listen(h, log);
    });
    const offChange = this.host.metadata.onChange((_doc, _change, _previous, touched) => this.reconcile(touched));
    this.unsubscribe = () => {
      offOpen();
      offChange();
    };
    this.reconcile();
    this.timer = setInterval(() => this.check(), REPLICATION_LIMITS.checkMs.value);
    this.host.metrics.replication.setSource(() => this.snapshot());
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    if (this.openTimer) clearTimeout(this.openTimer);
    this.openLater.clear();
    this.lostInIsr.clear();
    for (const h of this.hosted.values()) this.release(h);
    this.hosted.clear();
    this.keysByTopic.clear();
  }

  /**
   * Brings leader and follower roles in line with the committed metadata: of the topics
   * the store says a change touched, or of every topic when it does not say (a snapshot),
   * so that a create costs the same however many partitions are hosted.
   */
  private reconcile(touched?: ReadonlySet<string>): void {
    if (this.stopped) return;
    const topics = this.host.metadata.current.topics;
    if (touched !== undefined) {
      for (const name of touched) this.reconcileTopic(name, topics.get(name));
      return;
    }
    for (const topic of topics.values()) this.reconcileTopic(topic.name, topic);
    for (const name of [...this.keysByTopic.keys()]) if (!topics.has(name)) this.reconcileTopic(name, undefined);
  }

  private reconcileTopic(name: string, topic: TopicMetadata | undefined): void {
    const self = this.host.self;
    const seen = new Set<string>();
    for (const p of topic?.partitions ?? []) {
      if (!topic || p.replicas.length < 2 || !p.replicas.includes(self)) continue;
      const k = key(topic.name, p.partition);
      const registration: PartitionRegistration = {
        replicas: p.replicas,
        isr: isrOf(p),
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: partitionEpochOf(p),
      };
      let h = this.hosted.get(k);
      this.lostInIsr.delete(k);
      // Its copy here went with the disk (KIP-966): out of the ISR first, copied again after.
      if (!h && this.host.isLostReplica(topic.name, p.partition)) {
        if (registration.isr.includes(self)) {
          this.leaveIsr(topic, p.partition, registration);
          continue;
        }
      }
      if (h && h.topicId !== topic.id) {
        this.release(h);
        h = undefined;
      }
      if (!h) {
        // A follower's log opens a turn later, a few per turn: opening is synchronous
        // disk work, and a new topic's metadata change must be applied (and answered)
        // without waiting for every follower replica's folder, index and checkpoints.
        if (p.leader !== self && !this.openNow.has(k)) {
          this.deferOpen(k, name);
          continue;
        }
        const log = this.host.replicaLog(topic.name, topic.id, p.partition);
        if (!log) continue;
        h = { topic: topic.name, topicId: topic.id, partition: p.partition, registration, waiting: new Set() };
        this.listen(h, log);
        this.hosted.set(k, h);
        const keys = this.keysByTopic.get(name);
        if (keys) keys.add(k);
        else this.keysByTopic.set(name, new Set([k]));
      }
      seen.add(k);
      this.apply(h, registration);
    }
    const keys = this.keysByTopic.get(name);
    for (const k of keys ?? []) {
      if (seen.has(k)) continue;
      const h = this.hosted.get(k);
      if (h) this.release(h);
      this.hosted.delete(k);
      keys?.delete(k);
    }
    if (keys?.size === 0) this.keysByTopic.delete(name);
  }

  /**
   * Takes this broker, whose copy of the partition was lost with its disk, out of the
   * ISR, and out of leadership to another live in-sync replica, through the quorum; until
   * that is committed it neither leads nor counts (the partition is not hosted). With no
   * other in-sync replica the partition stays offline (lost-replicas.ts says how it comes
   * back). Retried by check() until the committed metadata no longer lists it.
   */
  private leaveIsr(topic: TopicMetadata, partition: number, r: PartitionRegistration): void {
    const self = this.host.self;
    const k = key(topic.name, partition);
    this.lostInIsr.set(k, { topic: topic.name, partition });
    if (this.leaving.has(k)) return;
    const next = withoutLostCopy(self, { registration: r, isAlive: (id) => this.liveness.isAlive(id) });
    if (!next) return;
    this.leaving.add(k);
    this.host
      .propose(this.alter({ topic: topic.name, topicId: topic.id, partition }, next, r))
      .catch((error: unknown) => {
        if (!(error instanceof StreamNestError && error.code === "FENCED_LEADER_EPOCH"))
          this.host.warn(`partition ${partition} of "${topic.name}": leaving the ISR (copy lost with the disk) not committed: ${error instanceof Error ? error.message : String(error)}`);
      })
      .finally(() => this.leaving.delete(k));
  }

  private deferOpen(k: string, topic: string): void {
    this.openLater.set(k, topic);
    this.openTimer ??= setTimeout(() => {
      this.openTimer = undefined;
      const batch = [...this.openLater].slice(0, FOLLOWER_OPENS_PER_TURN);
      for (const [next] of batch) {
        this.openLater.delete(next);
        this.openNow.add(next);
      }
      // Opens this batch by reconciling its topics only; their other new follower
      // replicas are deferred again (those of a topic deleted meanwhile are not), and
      // those of other topics wait for the next turn.
      try {
        this.reconcile(new Set(batch.map(([, topic]) => topic)));
      } finally {
        this.openNow.clear();
      }
      if (this.openLater.size > 0 && !this.stopped) {
        const [[again, topic]] = [...this.openLater];
        this.openLater.delete(again!);
        this.deferOpen(again!, topic!);
      }
    }, 0);
  }

  private apply(h: Hosted, registration: PartitionRegistration): void {
    const before = h.registration;
    h.registration = registration;
    const self = this.host.self;
    if (h.leader && before.isr.length !== registration.isr.length && registration.leaderEpoch === before.leaderEpoch) {
      if (registration.isr.length < before.isr.length) this.host.metrics.replication.isrShrinks.inc();
      else this.host.metrics.replication.isrExpands.inc();
    }
    if (registration.leader === self) {
      h.follower?.stop();
      h.follower = undefined;
      const log = this.logOf(h);
      if (!log) return;
      if (h.leader && h.leader.state.update(registration, log.logEndOffset)) {
        this.moveHighWatermark(h, h.leader.state.highWatermark);
        this.markEstablished(h);
        return;
      }
      this.dropLeader(h);
      this.becomeLeader(h, registration);
      return;
    }
    this.dropLeader(h);
    if (h.follower) h.follower.follow(registration.leader, registration.leaderEpoch);
    else {
      h.follower = new FollowerLoop({
        self,
        topic: h.topic,
        topicId: h.topicId,
        partition: h.partition,
        lease: () => this.host.replicaLease(h.topic, h.topicId, h.partition),
        transport: this.transport,
        brokerRef: (id) => this.host.brokerRef(id),
        warn: (m) => this.host.warn(m),
      });
      h.follower.follow(registration.leader, registration.leaderEpoch);
    }
  }

  /** Kafka's makeLeader: the new epoch starts at this log's end, and the HW is recomputed as followers fetch. */
  private becomeLeader(h: Hosted, registration: PartitionRegistration): void {
    const log = this.logOf(h);
    if (!log) return;
    try {
      if ((log.latestEpoch ?? -1) < registration.leaderEpoch) log.assignEpoch(registration.leaderEpoch, log.logEndOffset);
    } catch (error) {
      // Appends still being written (a follower's last fetch): retried at the next check.
      // Its HW is not known meanwhile either.
      this.tellPending(h, true);
      this.host.warn(`partition ${h.partition} of "${h.topic}": taking up leadership waits: ${(error as Error).message}`);
      return;
    }
    const state = new LeaderState(this.host.self, registration, log.logEndOffset, log.highWatermark, this.now());
    h.leader = { state };
    h.hwStale = log.highWatermark < log.logEndOffset;
    const hw = state.leaderAppended(log.logEndOffset, this.now());
    if (hw !== null) this.moveHighWatermark(h, hw);
    this.markEstablished(h);
  }

  private dropLeader(h: Hosted): void {
    this.tellPending(h, false);
    h.leader = undefined;
  }

  /** The hosted partition's log, opened if need be; for use before yielding. */
  private logOf(h: Hosted): PartitionLog | undefined {
    try {
      return this.host.replicaLog(h.topic, h.topicId, h.partition);
    } catch (error) {
      // Being closed to make room (a moment, said by nobody), or out of file descriptors
      // (said): the next fetch or check tries again.
      if (!(error instanceof StreamNestError && error.code === "LEADER_UNAVAILABLE"))
        this.host.warn(`partition ${h.partition} of "${h.topic}": ${(error as Error).message}`);
      return undefined;
    }
  }

  /**
   * Listens to the appends of `log`, the partition's log object now: the leader's own
   * appends may move the HW (an ISR of the leader alone), and followers' fetches wait
   * for them. Called on hosting and whenever the log is opened again.
   */
  private listen(h: Hosted, log: PartitionLog): void {
    if (h.listened?.log === log) return;
    h.listened?.off();
    const off = log.onAppend((end) => {
      if (h.leader) {
        const hw = h.leader.state.leaderAppended(end, this.now());
        if (hw !== null) this.moveHighWatermark(h, hw, log);
      }
      for (const wake of [...h.waiting]) wake(end);
    });
    h.listened = { log, off };
  }

  /** Reads here wait while this leader's HW is not yet known (broker/high-watermark-pending.ts). */
  private markEstablished(h: Hosted): void {
    if (!h.leader) return;
    if (h.hwStale && h.leader.state.established) h.hwStale = false;
    this.tellPending(h, h.hwStale === true);
  }

  private tellPending(h: Hosted, pending: boolean): void {
    if ((h.hwPending ?? false) === pending) return;
    h.hwPending = pending;
    this.host.highWatermarkPending(h.topic, h.partition, pending);
  }

  private release(h: Hosted): void {
    this.dropLeader(h);
    h.listened?.off();
    h.listened = undefined;
    for (const wake of [...h.waiting]) wake(-1);
    h.follower?.stop();
    h.follower = undefined;
  }

  private moveHighWatermark(h: Hosted, hw: number, open?: PartitionLog): void {
    const log = open ?? this.logOf(h);
    if (!log) return;
    try {
      log.setHighWatermark(Math.min(hw, log.logEndOffset));
    } catch (error) {
      this.host.warn(`partition ${h.partition} of "${h.topic}": high watermark ${hw}: ${(error as Error).message}`);
    }
  }

  /** A follower's fetch, served as the leader (or refused as anything else): the answer's parts, sent back to back (fetch-wire.ts). */
  async serveFetch(body: Uint8Array, signal: AbortSignal | undefined): Promise<Uint8Array[]> {
    const request = decodeFetchRequest(body);
    const h = this.hosted.get(key(request.topic, request.partition));
    const base = { highWatermark: 0, logStartOffset: 0, runs: [] };
    if (!h || h.topicId !== request.topicId || !h.leader)
      return encodeFetchAnswerParts({ ...base, verdict: { kind: "not-leader", leaderEpoch: h?.registration.leaderEpoch ?? -1 } }, EMPTY_CHUNK);
    const { state } = h.leader;
    let log = this.logOf(h);
    if (!log) return encodeFetchAnswerParts({ ...base, verdict: { kind: "not-leader", leaderEpoch: h.registration.leaderEpoch } }, EMPTY_CHUNK);
    const verdict = state.validate(request, log);
    if (verdict.kind !== "read")
      return encodeFetchAnswerParts({ ...base, highWatermark: log.highWatermark, logStartOffset: log.startOffset, verdict }, EMPTY_CHUNK);
    this.recordFetch(h, state, request, log);
    if (log.logEndOffset <= request.fetchOffset && request.maxWaitMs > 0) {
      // Waits without holding the log (thousands of idle followers must not keep thousands open).
      await this.waitForData(h, state, request, signal);
      log = this.logOf(h);
      if (!log || h.leader?.state !== state)
        return encodeFetchAnswerParts({ ...base, verdict: { kind: "not-leader", leaderEpoch: h.registration.leaderEpoch } }, EMPTY_CHUNK);
    }
    // The frames as the log holds them: shipped without decoding (fetch-wire.ts).
    const chunk = log.logEndOffset > request.fetchOffset ? log.readFrameChunk(request.fetchOffset, REPLICATION_LIMITS.fetchMaxBytes.value) : EMPTY_CHUNK;
    const head: Omit<FetchAnswerHead, "count" | "firstOffset" | "format"> = {
      verdict,
      highWatermark: log.highWatermark,
      logStartOffset: log.startOffset,
      runs: epochRunsFor(log.leaderEpochs, request.fetchOffset, chunk.count),
    };
    return encodeFetchAnswerParts(head, chunk);
  }

  private recordFetch(h: Hosted, state: LeaderState, request: FetchRequestHead, log: PartitionLog): void {
    const { highWatermark, expand } = state.recordFetch(request, log, this.now());
    if (highWatermark !== null) this.moveHighWatermark(h, highWatermark, log);
    this.markEstablished(h);
    if (expand) this.proposeIsr(h, state, expand.isr);
  }

  private waitForData(h: Hosted, state: LeaderState, request: FetchRequestHead, signal: AbortSignal | undefined): Promise<void> {
    const wait = Math.min(request.maxWaitMs, REPLICATION_LIMITS.fetchIdleWaitMs.value);
    return new Promise<void>((resolve) => {
      let waiting = true;
      const done = (): void => {
        if (!waiting) return;
        waiting = false;
        state.fetchUnparked(request.replica, this.now());
        h.waiting.delete(wake);
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.host.lifetime.removeEventListener("abort", done);
        resolve();
      };
      // -1: the partition is no longer hosted here.
      const wake = (end: number): void => {
        if (end > request.fetchOffset || end < 0) done();
      };
      h.waiting.add(wake);
      state.fetchParked(request.replica);
      const timer = setTimeout(done, wait);
      signal?.addEventListener("abort", done, { once: true });
      this.host.lifetime.addEventListener("abort", done, { once: true });
    });
  }

  /** ISR shrinks for lagging or dead followers; elections for partitions whose leader is down; preferred leaders back. */
  private check(): void {
    if (this.stopped) return;
    const now = this.now();
    // Right after start nobody has been heard from yet: liveness means nothing until a
    // broker could have been counted dead (a whole cluster restarting must not elect).
    const settled = now - this.startedAt >= this.options.livenessGraceMs;
    const alive = (id: number): boolean => !settled || id === this.host.self || this.liveness.isAlive(id);
    const preferredDue = now - this.lastPreferredCheck >= REPLICATION_LIMITS.preferredLeaderCheckMs.value;
    if (preferredDue) this.lastPreferredCheck = now;
    // Lost copies still listed in their ISR: propose again (a refused or lost proposal).
    for (const [k, { topic, partition }] of this.lostInIsr) {
      const meta = this.host.metadata.current.topics.get(topic);
      const p = meta?.partitions[partition];
      if (!meta || !p || !isrOf(p).includes(this.host.self) || !this.host.isLostReplica(topic, partition)) this.lostInIsr.delete(k);
      else
        this.leaveIsr(meta, partition, { replicas: p.replicas, isr: isrOf(p), leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: partitionEpochOf(p) });
    }
    for (const h of this.hosted.values()) {
      const r = h.registration;
      // Leadership not yet taken up (appends were still being written): try again.
      if (r.leader === this.host.self && !h.leader) this.apply(h, r);
      if (h.leader) {
        const lost = h.leader.state.expirePending(now, REPLICATION_LIMITS.pendingIsrChangeMs.value);
        if (lost)
          this.host.warn(
            `partition ${h.partition} of "${h.topic}": ISR change to [${lost.isr.join(",")}] neither committed nor refused within ${REPLICATION_LIMITS.pendingIsrChangeMs.value} ms; the leader may propose again`,
          );
        if (!h.leader.state.pendingProposal) {
          const dead = r.isr.find((b) => b !== this.host.self && !alive(b));
          const shrink = dead !== undefined ? { isr: r.isr.filter((b) => alive(b)) } : h.leader.state.shrinkFor(now, this.options.lagTimeMs);
          if (shrink) this.proposeIsr(h, h.leader.state, shrink.isr);
        }
        continue;
      }
      // A replica outside the ISR takes part only with --unclean-leader-election, where it
      // may be the one live replica left to lead (found by a fault probe: the flag did nothing).
      if (r.leader !== this.host.self && !alive(r.leader) && (r.isr.includes(this.host.self) || this.options.unclean)) {
        const next = afterBrokerDown(r.leader, { registration: r, isAlive: alive, unclean: this.options.unclean });
        if (next) this.proposeElection(h, next, r);
        continue;
      }
      if (preferredDue && r.replicas[0] === this.host.self && alive(r.leader)) {
        const next = preferredLeader({ registration: r, isAlive: alive });
        if (next) this.proposeElection(h, next, r);
      }
    }
  }

  private proposeIsr(h: Hosted, state: LeaderState, isr: number[]): void {
    const r = state.partition;
    const change = this.alter(h, { ...r, isr, partitionEpoch: r.partitionEpoch + 1 }, r);
    this.host
      .propose(change)
      .catch((error: unknown) => {
        state.proposalRefused();
        this.report(h, "ISR change", error);
      });
  }

  private proposeElection(h: Hosted, next: PartitionRegistration, from: PartitionRegistration): void {
    this.host
      .propose(this.alter(h, next, from))
      .then(({ changed }) => {
        if (changed) this.host.metrics.replication.leaderElections.inc();
      })
      .catch((error: unknown) => this.report(h, "leader election", error));
  }

  private alter(h: Pick<Hosted, "topic" | "topicId" | "partition">, next: PartitionRegistration, from: PartitionRegistration): AlterPartitionChange {
    return {
      type: "alter-partition",
      topic: h.topic,
      topicId: h.topicId,
      partition: h.partition,
      leader: next.leader,
      isr: [...next.isr],
      leaderEpoch: next.leaderEpoch,
      partitionEpoch: next.partitionEpoch,
      expectedLeaderEpoch: from.leaderEpoch,
      expectedPartitionEpoch: from.partitionEpoch,
    };
  }

  private report(h: Hosted, what: string, error: unknown): void {
    // Another broker's change won (the compare-and-set did its job): nothing to say.
    if (error instanceof StreamNestError && error.code === "FENCED_LEADER_EPOCH") return;
    this.host.warn(`partition ${h.partition} of "${h.topic}": ${what} not committed: ${error instanceof Error ? error.message : String(error)}`);
  }

  private snapshot(): ReplicationCounts & { followers: FollowerLag[] } {
    const now = this.now();
    let underReplicated = 0;
    // Offline partitions are counted over the whole cluster's metadata, as /cluster counts
    // them: a partition whose only replica is on a dead broker has none here, and went
    // uncounted on every live broker (a tester's alert on the metric never fired).
    const { offline } = this.counts();
    const followers: FollowerLag[] = [];
    for (const h of this.hosted.values()) {
      if (!h.leader) continue;
      const r = h.registration;
      if (r.isr.length < r.replicas.length) underReplicated++;
      // Lag from the log when it is open; a closed log is idle: nothing new to fetch.
      const end = this.host.replicaLogIfOpen(h.topic, h.partition)?.logEndOffset ?? h.leader.state.highWatermark;
      for (const [replica, lag] of h.leader.state.followerLag(end))
        followers.push({ topic: h.topic, partition: h.partition, replica, lagRecords: lag, lagSeconds: h.leader.state.followerCaughtUpAgo(replica, now) / 1000 });
    }
    return { underReplicated, offline, followers };
  }

  /**
   * Counts for /cluster, over every partition of the cluster (not only those led here, as
   * the per-broker metrics count, like Kafka's): its ISR smaller than its replicas, or its
   * leader down, as the metadata says; plus those held here whose data was lost (which
   * only this broker knows). A tester read 2 on one broker and 1 on another for one state.
   */
  counts(): ReplicationCounts {
    let underReplicated = 0;
    let offline = this.host.offlineForLostData();
    for (const topic of this.host.metadata.current.topics.values())
      for (const p of topic.partitions) {
        if ((p.isr ?? p.replicas).length < p.replicas.length) underReplicated++;
        if (p.leader !== this.host.self && !this.liveness.isAlive(p.leader)) offline++;
      }
    return { underReplicated, offline };
  }
}
