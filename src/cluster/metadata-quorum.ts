/**
 * The cluster metadata as a Raft log (issue 11; KIP-500, KIP-595): every metadata
 * change is an entry of the quorum's log, committed by a majority of the voters, and
 * applied in order to the MetadataStore of every broker, whose version is then the
 * committed offset. There is no controller chosen by liveness and no settling of two
 * histories: there is only ever one history, the log's.
 *
 * Writes go through any broker: it hands the change to the quorum leader
 * (POST /internal/quorum/propose), which appends it and answers once it is committed and
 * applied; the receiving broker answers its caller once its own store has the change.
 * Without a leader reachable within WRITE_TIMEOUT_MS the change is refused with
 * NOT_CONTROLLER (nothing was appended anywhere, or what was is never committed); a
 * change that was handed over but whose commit was not seen in time is answered with
 * REQUEST_TIMED_OUT saying the outcome is unknown.
 */
import { join } from "node:path";
import type { ApplyResult, BrokerRef, MetadataChange } from "../broker/metadata.ts";
import { sortBrokers } from "../broker/metadata.ts";
import { placePartitions } from "../broker/metadata-placement.ts";
import type { MetadataStore } from "../broker/metadata-store.ts";
import { CLUSTER_LIMITS } from "../config/cluster.ts";
import { StreamNestError } from "../lib/errors.ts";
import { INTERNAL_ROUTES } from "../lib/internal-routes.ts";
import { randomUUID } from "node:crypto";
import { type ChangeOutcome, parseMetadataChange } from "./change-wire.ts";
import { encodeEntry, MetadataStateMachine } from "./metadata-entries.ts";
import { type BrokerHeartbeat, BrokerLiveness } from "./broker-liveness.ts";
import type { Membership } from "./membership.ts";
import { mayHaveArrived, type PeerClient } from "./peer-client.ts";
import { QuorumDriver, unknownOutcome } from "./quorum-driver.ts";
import { METADATA_LOG_DIR } from "./quorum-disk-log.ts";
import { ensureRoomForEntry } from "./metadata-log-room.ts";
import { readVoters, voterRecord, writeVoters } from "./quorum-voters.ts";
import { formVoters, learnVoterDirectoryIds, seedLogFromLegacyMetadata, type VotersAnswer, votersLines } from "./quorum-formation.ts";
import { QuorumStateFile } from "./quorum/quorum-state-file.ts";
import { AppliedOffsetFile } from "./applied-offset-file.ts";
import { openQuorumMetadata, replayCommitted, seedOpenLog } from "./metadata-log-replay.ts";
import type { QuorumDiskLog } from "./quorum-disk-log.ts";
import { quorumStatusView, type QuorumStatusView } from "./quorum-status.ts";
import { assertSentBy } from "./sender-membership.ts";

export type { QuorumStatusView };
import { decodeQuorumMessages, encodeQuorumMessages } from "./quorum-wire.ts";
import type { QuorumMessage } from "./quorum/messages.ts";
import type { NodeId, VoterKey } from "./quorum/types.ts";

/** Issue 11: without a majority a write fails within 5 s, never hangs. */
export const WRITE_TIMEOUT_MS = 4_500;
/** Longest a read barrier waits (catchUp): a broker cut off from the leader gives up then. */
const CATCH_UP_MS = 2_000;
const RETRY_MS = 50;
/**
 * Longest wait of the leader for replicas to apply a committed change (see
 * waitReplicasApplied): the peer timeout, the bound the older controller's pushes of each
 * change to every broker had.
 */
const FOLLOWER_WAIT_MS = CLUSTER_LIMITS.peerTimeoutMs.value;
/** A replica that fetched within this long is following, and is waited for. */
const FOLLOWING_WITHIN_MS = 1_000;

export interface MetadataQuorumOptions {
  id: number;
  dataDir: string;
  membership: Membership;
  client: PeerClient;
  /** --peers, normalized: the only addresses quorum traffic goes to when given. */
  configuredPeers: readonly string[];
  /** --controller-voters, if given. */
  voterCount: number | undefined;
  snapshotEveryEntries: number;
  /** Snapshot also once this many bytes of entries were committed since the last one. */
  snapshotEveryBytes?: number;
  /** Every broker known from heartbeats and metadata, for placement. */
  knownBrokers: () => BrokerRef[];
  /** This broker's advertised address, registered with the quorum. */
  address: string;
  /** --session-timeout-ms: a broker silent this long is fenced. */
  sessionTimeoutMs: number;
  log?: (line: string) => void;
}

export class MetadataQuorum {
  private store: MetadataStore | undefined;
  private driver: QuorumDriver | undefined;
  private voters: VoterKey[] | null;
  private readonly directoryId: string;
  private forming: Promise<void> | undefined;
  private stopped = false;
  private readonly metaDir: string;
  readonly incarnation = Date.now();
  readonly liveness: BrokerLiveness;
  /** The epoch this broker leads and since when (for the fencing grace period). */
  private leading: { epoch: number; since: number } | null = null;
  /** The metadata log as openStore() found it, replayed into the store, for the driver. */
  private openedLog: QuorumDiskLog | undefined;
  private readonly applied: AppliedOffsetFile;
  private readonly machine: MetadataStateMachine;

  constructor(private readonly options: MetadataQuorumOptions) {
    this.metaDir = join(options.dataDir, "meta");
    this.voters = readVoters(this.metaDir);
    // KIP-853: this data dir's id, created (flushed, renamed) once, before formation asks for it.
    this.directoryId = QuorumStateFile.open(this.metaDir, randomUUID).file.directoryId;
    this.applied = AppliedOffsetFile.open(join(this.metaDir, METADATA_LOG_DIR));
    this.machine = new MetadataStateMachine(() => this.bound(), this.applied);
    this.liveness = new BrokerLiveness({
      self: { id: options.id, address: options.address, incarnation: this.incarnation },
      sessionTimeoutMs: options.sessionTimeoutMs,
      intervalMs: Math.max(50, Math.floor(options.sessionTimeoutMs / 6)),
      registered: () => this.store?.current.brokers ?? [],
      leadingSince: () => this.leadingSince(),
      commit: async (change) => {
        const driver = this.driver;
        if (!driver || driver.leaderId !== this.options.id) throw this.notLeader();
        return this.commitOne(driver, change, randomUUID(), Date.now() + WRITE_TIMEOUT_MS);
      },
      sendHeartbeat: (beat) => this.sendHeartbeat(beat),
      log: options.log,
    });
  }

  private leadingSince(): number | null {
    const status = this.driver?.status();
    if (!status || status.role !== "leader") {
      this.leading = null;
      return null;
    }
    if (this.leading?.epoch !== status.epoch) this.leading = { epoch: status.epoch, since: Date.now() };
    return this.leading.since;
  }

  private async sendHeartbeat(beat: BrokerHeartbeat): Promise<unknown> {
    const leader = this.driver?.leaderId ?? null;
    if (leader === null) return undefined;
    if (leader === this.options.id) return this.liveness.receive(beat);
    const address = this.dialAddressOf(leader);
    if (address === undefined) return undefined;
    return this.options.client.json<unknown>(address, {
      method: "POST",
      path: INTERNAL_ROUTES.quorumHeartbeat,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(beat),
      timeoutMs: Math.max(200, Math.floor(this.options.sessionTimeoutMs / 3)),
    });
  }

  /** POST /internal/quorum/heartbeat: a broker's heartbeat, on the leader; `from`: the broker that signed it. */
  receiveHeartbeat(body: unknown, from?: number | null): { registered: boolean } {
    const b = (body ?? {}) as Record<string, unknown>;
    if (!Number.isSafeInteger(b.id) || typeof b.address !== "string" || !Number.isSafeInteger(b.incarnation))
      throw new StreamNestError("INVALID_REQUEST", "expected {\"id\", \"address\", \"incarnation\"}");
    // KIP-631: a broker registers itself only, under the id it authenticated as.
    assertSentBy(from, b.id as number, "a broker registration");
    if (this.driver?.leaderId !== this.options.id) throw this.notLeader();
    return this.liveness.receive({ id: b.id as number, address: b.address, incarnation: b.incarnation as number });
  }

  bind(store: MetadataStore): void {
    this.store = store;
  }

  /**
   * Opens the broker's metadata store from the metadata log (metadata-log-replay.ts):
   * the latest snapshot plus the committed entries after it, before the quorum runs.
   */
  openStore(metaDir: string, brokers: BrokerRef[]): MetadataStore {
    const started = performance.now();
    const opened = openQuorumMetadata(metaDir, brokers, this.options.log);
    this.store = opened.store;
    this.openedLog = opened.log;
    if (opened.log && opened.fromLog) {
      const reached = replayCommitted(opened.log, this.machine, this.applied.offset);
      this.options.log?.(
        `Metadata replayed from the metadata log up to offset ${reached} (${opened.store.current.topics.size} topics) in ${Math.round(performance.now() - started)} ms`,
      );
    }
    return opened.store;
  }

  /** Forms the voter set (see quorum-voters.ts) and starts the quorum; resolves once running. */
  start(): Promise<void> {
    this.forming ??= this.form();
    return this.forming;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.liveness.stop();
    if (this.driver) await this.driver.stop();
    else await this.openedLog?.close();
    this.applied.close();
  }

  private async form(): Promise<void> {
    const self = { id: this.options.id, directoryId: this.directoryId };
    this.voters ??= await formVoters(this.options.membership, this.options.client, this.options.voterCount, self, () => this.stopped);
    if (this.stopped || !this.voters) return;
    writeVoters(this.metaDir, this.voters);
    for (const line of votersLines(this.voters, self, this.options.configuredPeers.length + 1)) this.options.log?.(line);
    const logDir = join(this.metaDir, METADATA_LOG_DIR);
    if (this.openedLog) {
      if (await seedOpenLog(this.openedLog, this.bound())) this.options.log?.(`Metadata log started from metadata.json (version ${this.bound().version}) as its first snapshot`);
    } else await seedLogFromLegacyMetadata(logDir, this.bound(), this.options.log);
    this.driver = new QuorumDriver({
      nodeId: this.options.id,
      voters: this.voters,
      persistVoters: (voters) => {
        writeVoters(this.metaDir, voters);
        this.voters = [...voters];
      },
      dir: this.metaDir,
      logDir,
      snapshotEveryEntries: this.options.snapshotEveryEntries,
      ...(this.options.snapshotEveryBytes !== undefined ? { snapshotEveryBytes: this.options.snapshotEveryBytes } : {}),
      ...(this.openedLog ? { diskLog: this.openedLog } : {}),
      send: (messages) => this.send(messages),
      log: this.options.log,
      machine: this.machine,
      // A lone voter (a single broker) has no one to wait for or to split a vote with, so
      // it stands at once, as Kafka's KafkaRaftClient makes an only voter a candidate on
      // start: its first write is not held up by a whole election timeout.
      ...(this.voters.length === 1 && this.voters[0]!.id === this.options.id ? { timing: { electionTimeoutMs: 1 } } : {}),
    });
    this.driver.start();
    this.liveness.start();
    const driver = this.driver;
    void learnVoterDirectoryIds(this.options.membership, this.options.client, () => driver.status().voters, (id, dir) => driver.learnDirectoryId(id, dir), () => this.stopped);
  }

  /**
   * Where to reach broker `id`. With --peers given, quorum traffic goes only to those
   * addresses (tests put fault proxies there): while a configured peer has not answered
   * yet, a broker known only by an address learned from others is not dialed, as it may
   * be that very peer reached around its proxy.
   */
  private dialAddressOf(id: NodeId): string | undefined {
    const { membership, configuredPeers } = this.options;
    const address = membership.dialAddressOf(id);
    if (address === undefined || configuredPeers.length === 0 || configuredPeers.includes(address)) return address;
    return membership.hasUnknownPeers() ? undefined : address;
  }

  private send(messages: readonly QuorumMessage[]): void {
    const byPeer = new Map<NodeId, QuorumMessage[]>();
    for (const m of messages) byPeer.set(m.to, [...(byPeer.get(m.to) ?? []), m]);
    for (const [to, batch] of byPeer) {
      const address = this.dialAddressOf(to);
      if (address === undefined || to === this.options.id) continue;
      // Fire and forget: the core retries what matters, and an answer is a message of its own.
      void this.options.client
        .json<unknown>(address, {
          method: "POST",
          path: INTERNAL_ROUTES.quorum,
          headers: { "content-type": "application/json" },
          body: encodeQuorumMessages(batch),
          timeoutMs: 2_000,
        })
        .catch(() => undefined);
    }
  }

  // ---- calls from other brokers ----------------------------------------------------

  /** POST /internal/quorum: messages for this broker's core; `from`: the broker that signed them. */
  receive(body: unknown, from?: number | null): { ok: true } {
    const messages = decodeQuorumMessages(body);
    for (const m of messages) assertSentBy(from, m.from, `a quorum ${m.type}`);
    this.driver?.receive(messages);
    return { ok: true };
  }

  /** The voter ids, null before formation. */
  voterIds(): NodeId[] | null {
    return this.voters?.map((v) => v.id) ?? null;
  }

  /** GET /internal/quorum/voters. */
  votersAnswer(): VotersAnswer {
    const record = this.voters ? voterRecord(this.voters) : { voters: null, directoryIds: {} };
    return { ...record, id: this.options.id, directoryId: this.directoryId };
  }

  /** POST /internal/quorum/propose: a change for this broker to commit as the leader; `from`: the broker that signed it. */
  async receivePropose(body: unknown, from?: number | null): Promise<{ result: ChangeOutcome }> {
    if (body === null || typeof body !== "object" || !("change" in body)) throw new StreamNestError("INVALID_REQUEST", "expected {\"change\": …}");
    const change = parseMetadataChange(body.change);
    const fields = body as { id?: unknown; timeoutMs?: unknown; from?: unknown; incarnation?: unknown };
    if (Number.isSafeInteger(fields.from)) assertSentBy(from, fields.from as number, "a metadata proposal");
    if (Number.isSafeInteger(fields.from) && Number.isSafeInteger(fields.incarnation))
      this.liveness.assertCurrent(fields.from as number, fields.incarnation as number);
    const id = typeof fields.id === "string" && fields.id !== "" ? fields.id : randomUUID();
    const timeoutMs = typeof fields.timeoutMs === "number" && fields.timeoutMs > 0 ? Math.min(fields.timeoutMs, WRITE_TIMEOUT_MS) : WRITE_TIMEOUT_MS;
    const driver = this.driver;
    if (!driver || driver.leaderId !== this.options.id) throw this.notLeader();
    return { result: await this.commitAsLeader(driver, change, id, Date.now() + timeoutMs) };
  }

  // ---- writes from this broker -----------------------------------------------------

  /** Commits a change through the quorum leader; resolves once this broker applied it. */
  async propose(change: MetadataChange): Promise<ApplyResult> {
    const deadline = Date.now() + WRITE_TIMEOUT_MS;
    // One id for every attempt: an attempt that may have arrived is sent again safely.
    const id = randomUUID();
    let lastProblem = "";
    let doubt: StreamNestError | undefined;
    for (;;) {
      const driver = this.driver;
      const leader = driver?.leaderId ?? null;
      try {
        if (driver && leader === this.options.id) {
          const outcome = await this.commitAsLeader(driver, change, id, deadline);
          return { document: this.bound().current, changed: outcome.changed };
        }
        if (leader !== null) {
          const outcome = await this.forward(leader, change, id, deadline);
          await this.waitApplied(outcome.version, deadline);
          return { document: this.bound().current, changed: outcome.changed };
        }
        lastProblem = "no leader is known";
      } catch (error) {
        if (!(error instanceof StreamNestError)) throw error;
        if (error.code === "REQUEST_TIMED_OUT" || mayHaveArrived(error)) {
          doubt = error.code === "REQUEST_TIMED_OUT" ? error : unknownOutcome(`the quorum leader, broker ${leader}, did not answer (${error.message})`);
        } else if (error.code !== "NOT_CONTROLLER" && error.code !== "LEADER_UNAVAILABLE") {
          throw error;
        }
        lastProblem = error.message;
      }
      if (Date.now() + RETRY_MS >= deadline) throw doubt ?? this.noQuorum(lastProblem);
      await Bun.sleep(RETRY_MS);
    }
  }

  private async forward(leader: NodeId, change: MetadataChange, id: string, deadline: number): Promise<ChangeOutcome> {
    const address = this.dialAddressOf(leader);
    if (address === undefined) throw new StreamNestError("LEADER_UNAVAILABLE", `the quorum leader, broker ${leader}, has no known address`);
    const answer = await this.options.client.json<{ result: ChangeOutcome }>(address, {
      method: "POST",
      path: INTERNAL_ROUTES.quorumPropose,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ change, id, from: this.options.id, incarnation: this.incarnation, timeoutMs: Math.max(1, deadline - Date.now() - 100) }),
      timeoutMs: Math.max(100, deadline - Date.now()),
      label: `the quorum leader, broker ${leader}`,
    });
    return answer.result;
  }

  /** On the leader: places a new topic's partitions, appends, waits for the commit. */
  private async commitAsLeader(driver: QuorumDriver, change: MetadataChange, id: string, deadline: number): Promise<ChangeOutcome> {
    const store = this.bound();
    // Brokers are recorded by their own registrations (broker-liveness.ts), not by lists.
    if (change.type === "set-brokers") return { changed: false, version: store.version };
    if (change.type === "create-topic")
      return this.commitOne(
        driver,
        {
          ...change,
          // The replication factor the receiving broker chose (or the caller asked for) stays.
          partitions: placePartitions(this.placementBrokers(), change.partitions.length, change.replicationFactor ?? change.partitions[0]?.replicas.length ?? 1),
        },
        id,
        deadline,
      );
    return this.commitOne(driver, change, id, deadline);
  }

  /**
   * Every broker known but those the quorum fenced: a fenced broker is down, so it gets
   * no new partitions; one not registered yet (the cluster is forming) still counts, so
   * that a new cluster places as the seed does, partition p on broker p mod N.
   */
  private placementBrokers(): BrokerRef[] {
    const registered = new Map(this.bound().current.brokers.map((b) => [b.id, b]));
    const byId = new Map<number, BrokerRef>();
    for (const b of this.options.knownBrokers()) byId.set(b.id, { id: b.id, address: b.address });
    for (const b of registered.values()) byId.set(b.id, { id: b.id, address: b.address });
    const live = [...byId.values()].filter((b) => registered.get(b.id)?.fenced !== true);
    return sortBrokers(live.length > 0 ? live : [...byId.values()]);
  }

  /**
   * A caller that changed metadata through one broker expects to read it back through
   * any other at once (the seed's brokers all answered from one shared truth). The
   * leader therefore waits, briefly, until every replica fetching from it says it has
   * applied the change (POST /internal/quorum/applied answers once it has): a fetch past
   * the change is not enough, as the replica applies only once a later answer carries
   * the commit. A replica that stopped fetching is not waited for, nor one that does not
   * answer within FOLLOWER_WAIT_MS.
   */
  private async waitReplicasApplied(driver: QuorumDriver, version: number, deadline: number): Promise<void> {
    const now = Date.now();
    // Within the caller's own deadline (less a margin for the answer to travel back).
    const wait = Math.min(FOLLOWER_WAIT_MS, deadline - now - 200);
    if (wait <= 0) return;
    const fetching = driver.status().replicas.filter((r) => r.id !== this.options.id && now - r.lastFetchMs < FOLLOWING_WITHIN_MS);
    await Promise.all(
      fetching.map(async (r) => {
        const address = this.dialAddressOf(r.id);
        if (address === undefined) return;
        await this.options.client
          .json<unknown>(address, {
            method: "POST",
            path: INTERNAL_ROUTES.quorumApplied,
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ version, timeoutMs: wait }),
            timeoutMs: wait + 100,
          })
          .catch(() => undefined);
      }),
    );
  }

  /** POST /internal/quorum/applied: answers once this broker applied `version` (or its wait ran out). */
  async receiveApplied(body: unknown): Promise<{ version: number }> {
    const fields = (body ?? {}) as { version?: unknown; timeoutMs?: unknown };
    if (!Number.isSafeInteger(fields.version) || (fields.version as number) < 0) throw new StreamNestError("INVALID_REQUEST", "expected {\"version\": n}");
    const wait = typeof fields.timeoutMs === "number" && fields.timeoutMs > 0 ? Math.min(fields.timeoutMs, FOLLOWER_WAIT_MS) : FOLLOWER_WAIT_MS;
    await this.waitApplied(fields.version as number, Date.now() + wait);
    return { version: this.bound().version };
  }

  /**
   * A leader whose disk cannot take a change hands leadership to another voter, whose
   * disk may: found by a fault probe, a quorum leader on a full disk refused every ISR
   * change for as long as the disk stayed full (8 minutes), and every acks=all produce of
   * the cluster timed out waiting for an ISR that could not shrink. A quorum of one has
   * nobody to hand it to.
   */
  private resignForFullDisk(driver: QuorumDriver): void {
    const status = driver.status();
    if (status.role !== "leader" || status.voters.length < 2) return;
    this.options.log?.(`Metadata quorum: the metadata log's disk is full; leader ${status.nodeId} resigns in epoch ${status.epoch} so that another voter leads`);
    driver.resign();
  }

  private async commitOne(driver: QuorumDriver, change: MetadataChange, id: string, deadline: number): Promise<ChangeOutcome> {
    let offset: number;
    let committed: Promise<unknown>;
    try {
      offset = driver.core.status().logEndOffset;
      const entry = encodeEntry(id, change);
      try {
        ensureRoomForEntry(driver.diskLog.dir, entry.byteLength);
      } catch (full) {
        this.resignForFullDisk(driver);
        throw full;
      }
      committed = driver.propose(entry);
    } catch (error) {
      if (error instanceof StreamNestError && error.code === "NOT_CONTROLLER") throw this.notLeader();
      throw error;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unknownOutcome(`the change was appended at offset ${offset} but not committed within ${WRITE_TIMEOUT_MS} ms (no majority of the voters answered)`)), Math.max(0, deadline - Date.now()));
    });
    try {
      const result = (await Promise.race([committed, timeout])) as ApplyResult;
      await this.waitReplicasApplied(driver, result.document.version, deadline);
      return { changed: result.changed, version: result.document.version };
    } catch (error) {
      driver.abandon(offset);
      // A change refused when applied (a create of a topic that exists with another
      // count, …) was committed all the same: its entry moved the version on every broker,
      // so the refusal, too, is answered once the replicas applied it.
      if (driver.status().highWatermark > offset) await this.waitReplicasApplied(driver, offset + 1, deadline);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves once this broker's store holds `version` (or at the deadline). */
  private waitApplied(version: number, deadline: number): Promise<void> {
    const store = this.bound();
    if (store.version >= version) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      const off = store.onChange((doc) => {
        if (doc.version >= version) done();
      });
    });
  }

  private notLeader(): StreamNestError {
    const leader = this.driver?.leaderId ?? null;
    return new StreamNestError("NOT_CONTROLLER", `broker ${this.options.id} is not the metadata quorum leader (leader: ${leader ?? "unknown"})`, { leader });
  }

  private noQuorum(problem: string): StreamNestError {
    const voters = (this.voters ?? []).map((v) => v.id);
    const needed = Math.floor(voters.length / 2) + 1;
    return new StreamNestError(
      "NOT_CONTROLLER",
      `no metadata quorum leader could be reached within ${WRITE_TIMEOUT_MS} ms (${problem}); creating or deleting topics and registering schemas needs a majority (${needed}) up of the controller voters ${voters.join(", ")}, so that brokers cut off from each other never make conflicting changes`,
      { voters, needed },
    );
  }

  /**
   * A read barrier (Raft's ReadIndex, §8): resolves once this broker's store holds every
   * change committed before the call. The leader's high watermark counts only as told
   * by the answer to a fetch sent after the call began, so a change acknowledged to a
   * client through another broker a moment ago is included; the leader knows its own.
   * Gives up after CATCH_UP_MS (no leader reachable), leaving the caller to answer from
   * what it has: false then, true once caught up. A call made before the quorum driver
   * runs (a broker that has just started) waits for it within the same bound: found by a
   * fault probe, a broker restarted on a wiped data dir answered 404 TOPIC_NOT_FOUND for
   * an existing topic for its first ~300 ms instead.
   */
  async catchUp(): Promise<boolean> {
    const start = Date.now();
    const deadline = start + CATCH_UP_MS;
    while (Date.now() < deadline && !this.stopped) {
      const known = this.driver?.status().leaderHighWatermark;
      if (known !== undefined && this.store !== undefined && known.requestSentAt >= start && this.store.version >= known.value) return true;
      await Bun.sleep(5);
    }
    return false;
  }

  private bound(): MetadataStore {
    if (!this.store) throw new StreamNestError("LEADER_UNAVAILABLE", "this broker is still starting");
    return this.store;
  }

  status(): QuorumStatusView {
    return quorumStatusView(this.driver?.status(), this.voters ?? [], this.options.id, Date.now());
  }
}
