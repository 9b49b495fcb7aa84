import { ClusterNode, type ClusterStatus } from "../cluster/cluster-node.ts";
import { parseMetadataChange } from "../cluster/change-wire.ts";
import { applyToStore, type ChangeOutcome, ControllerProposer } from "../cluster/controller-proposer.ts";
import { CONTROLLER_PATH } from "../cluster/controller.ts";
import { isInternalPath } from "../cluster/internal-auth.ts";
import { HEARTBEAT_PATH, type Heartbeat } from "../cluster/membership.ts";
import { METADATA_PATH } from "../cluster/metadata-sync.ts";
import { FROM_HEADER } from "../cluster/peer-client.ts";
import { type BrokerRef, type MetadataChange, sortBrokers } from "../cluster/metadata.ts";
import { placePartitions } from "../cluster/metadata-placement.ts";
import type { MetadataProposer } from "../cluster/metadata-proposer.ts";
import type { MetadataStore } from "../cluster/metadata-store.ts";
import { type MetadataWire, StoreState } from "../cluster/store-state.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { StoredRecord } from "../storage/types.ts";
import type { Broker } from "./broker.ts";
import type { BrokerDirectory } from "./cluster-seam.ts";
import type { GroupCall, GroupCallSender } from "./groups-seam.ts";
import { ClusterForwarder, forwardedCall, OFFSETS_PATH, type OffsetsAnswer } from "./cluster-forwarder.ts";
import type { BrokerConfig } from "./config.ts";
import type { ProduceFailure } from "./types.ts";
import {
  encodeFetch,
  encodeRecord,
  FETCH_PATH,
  type FetchAnswer,
  parseFetchCall,
  parseProduceBatch,
  PRODUCE_PATH,
  type ProduceAnswer,
  type ProduceBatchAnswer,
  TAIL_PATH,
  type TailBatch,
  type TailError,
  type TailStart,
} from "./partition-wire.ts";

export { isInternalPath };
export type { ClusterStatus };

/** Where a consumer-group call is run on its coordinator (the route is the groups' own, http/groups.ts). */
export const GROUPS_PATH = "/internal/groups";

/** Every broker-to-broker route; all need the cluster secret. */
export const INTERNAL_ROUTES = {
  heartbeat: HEARTBEAT_PATH,
  metadata: METADATA_PATH,
  controller: CONTROLLER_PATH,
  produce: PRODUCE_PATH,
  fetch: FETCH_PATH,
  tail: TAIL_PATH,
  offsets: OFFSETS_PATH,
} as const;

/**
 * A broker's link to its cluster: it supplies the broker's seams (the directory that
 * placement reads, the forwarder for partitions led elsewhere, the proposer that sends
 * metadata changes to the controller) and serves the broker side of every /internal/
 * call, free of any transport. A lone broker gets one too: it is its own controller and
 * leads everything, and a broker on another machine may still join it later.
 *
 *   const link = new ClusterLink(config);
 *   const broker = Broker.open(config, link.brokerDeps());
 *   link.attach(broker);
 *   await link.catchUp();        // newest metadata from the peers, before serving
 *   listen(…);
 *   link.start();                // heartbeats and periodic pulls
 *
 * The controller places the partitions of a new topic itself (round-robin over every
 * broker it knows, sorted by id, as Kafka's controller assigns replicas) and records
 * the brokers in the metadata, so placement and leader addresses do not depend on how
 * much the receiving broker happened to know.
 */

/** How often an idle forwarded tail sends an empty line. */
export const TAIL_KEEPALIVE_MS = 15_000;

export interface ClusterLinkOptions {
  log?: (line: string) => void;
  timeoutMs?: number;
  heartbeatIntervalMs?: number;
  deadAfterMs?: number;
  syncIntervalMs?: number;
}

export type BrokerClusterNode = ClusterNode<MetadataChange, ChangeOutcome, MetadataWire>;

export class ClusterLink {
  readonly node: BrokerClusterNode;
  readonly directory: BrokerDirectory;
  readonly forwarder: ClusterForwarder;
  private readonly state = new StoreState();
  private store: MetadataStore | undefined;
  private broker: Broker | undefined;

  constructor(config: BrokerConfig, options: ClusterLinkOptions = {}) {
    this.node = new ClusterNode({
      id: config.id,
      address: config.advertise,
      peers: config.peers,
      secret: config.clusterSecret,
      dataDir: config.dataDir,
      state: this.state,
      apply: (change) => this.applyAsController(change),
      parseChange: parseMetadataChange,
      log: options.log,
      timeoutMs: options.timeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      deadAfterMs: options.deadAfterMs,
      syncIntervalMs: options.syncIntervalMs,
    });
    const membership = this.node.membership;
    this.directory = { self: membership.self, brokers: () => this.knownBrokers() };
    this.forwarder = new ClusterForwarder(this.node.forwarder, config.maxBodyBytes);
  }

  /**
   * Carries a consumer-group call to its coordinator's /internal/groups route (the
   * coordinator runs it there and never forwards it again). A coordinator that cannot be
   * reached is NOT_COORDINATOR naming it, as Kafka's COORDINATOR_NOT_AVAILABLE: the
   * client retries once the group has a reachable coordinator.
   */
  readonly groupSender: GroupCallSender = {
    send: async <T>(target: BrokerRef, call: GroupCall, waitMs: number): Promise<T> => {
      const [what, role] =
        "group" in call
          ? [`group "${call.group}"`, "is coordinated by"]
          : call.op === "list"
            ? ["some groups", "are coordinated by"]
            : [`partitions of topic "${call.topic}"`, "are led by"];
      try {
        return await this.node.forwarder.json<T>(target, {
          method: "POST",
          path: GROUPS_PATH,
          body: JSON.stringify(call),
          waitMs,
          what,
          role,
        });
      } catch (error) {
        if (error instanceof StreamNestError && error.code === "LEADER_UNAVAILABLE")
          throw new StreamNestError("NOT_COORDINATOR", error.message, error.details);
        throw error;
      }
    },
  };

  /** The seams Broker.open takes. */
  brokerDeps(): {
    directory: BrokerDirectory;
    forwarder: ClusterForwarder;
    groupSender: GroupCallSender;
    proposer: (store: MetadataStore) => MetadataProposer;
  } {
    return {
      directory: this.directory,
      forwarder: this.forwarder,
      groupSender: this.groupSender,
      proposer: (store) => {
        this.store = store;
        this.state.bind(store);
        return new ControllerProposer(store, this.node);
      },
    };
  }

  /** The broker that serves calls forwarded here. */
  attach(broker: Broker): void {
    this.broker = broker;
  }

  /** Pulls the newest metadata from the peers (bounded by the peer timeout); run before serving. */
  catchUp(): Promise<void> {
    return this.node.catchUp();
  }

  /** Starts heartbeats and periodic pulls; run once listening. */
  start(): void {
    this.node.start();
  }

  stop(): void {
    this.node.stop();
  }

  /** Every broker known from metadata or heartbeats, ascending by id. */
  private knownBrokers(): BrokerRef[] {
    const byId = new Map<number, BrokerRef>();
    for (const b of this.store?.current.brokers ?? []) byId.set(b.id, { id: b.id, address: b.address });
    // What heartbeats say is newer than what metadata recorded.
    for (const b of this.node.membership.knownIdentities()) byId.set(b.id, b);
    return [...byId.values()].sort((a, b) => a.id - b.id);
  }

  /** Runs on the controller only, one change at a time. */
  private async applyAsController(change: MetadataChange): Promise<ChangeOutcome> {
    const store = this.boundStore();
    // A configured peer that has not answered yet would be missing from placement.
    if (this.node.membership.hasUnknownPeers()) await this.node.membership.heartbeatRound();
    const brokers = this.knownBrokers();
    if (JSON.stringify(sortBrokers(store.current.brokers)) !== JSON.stringify(brokers))
      applyToStore(store, { type: "set-brokers", brokers });
    if (change.type === "create-topic")
      return applyToStore(store, { ...change, partitions: placePartitions(brokers, change.partitions.length) });
    if (change.type === "set-brokers") return { changed: false, version: store.version };
    return applyToStore(store, change);
  }

  private boundStore(): MetadataStore {
    if (!this.store) throw new StreamNestError("LEADER_UNAVAILABLE", "this broker is still starting");
    return this.store;
  }

  private boundBroker(): Broker {
    if (!this.broker) throw new StreamNestError("LEADER_UNAVAILABLE", "this broker is still starting");
    return this.broker;
  }

  // ---- the broker side of /internal/ (each route checks authorize() first) ------------

  /** Throws UNAUTHORIZED unless the request carries the cluster secret. */
  authorize(headers: Headers): void {
    this.node.authorize(headers);
  }

  /** The id of the broker that sent an internal call, if it said. */
  callerId(headers: Headers): number | null {
    const from = Number(headers.get(FROM_HEADER) ?? Number.NaN);
    return Number.isSafeInteger(from) ? from : null;
  }

  heartbeat(body: unknown): Heartbeat {
    return this.node.handleHeartbeat(body);
  }

  metadata(): MetadataWire {
    return this.node.handleMetadataGet();
  }

  receiveMetadata(body: unknown): Promise<{ version: number; installed: boolean }> {
    return this.node.handleMetadataPush(body);
  }

  controllerChange(body: unknown): Promise<{ result: ChangeOutcome; metadata: MetadataWire }> {
    return this.node.handleControllerChange(body);
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
    const serve = async (call: (typeof calls)[number]): Promise<ProduceAnswer | ProduceFailure> => {
      try {
        return { outcomes: await broker.produceBatch(call.topic, call.messages) };
      } catch (error) {
        if (error instanceof StreamNestError) return error.toJSON();
        throw error;
      }
    };
    const wave = broker.config.maxOpenPartitions;
    const results = await forwardedCall.run(from, async () => {
      const served: (ProduceAnswer | ProduceFailure)[] = [];
      for (let i = 0; i < calls.length; i += wave) served.push(...(await Promise.all(calls.slice(i, i + wave).map(serve))));
      return served;
    });
    return { results };
  }

  async fetch(body: unknown, from: number | null, signal: AbortSignal | undefined): Promise<FetchAnswer> {
    const call = parseFetchCall(body);
    const broker = this.boundBroker();
    const result = await forwardedCall.run(from, () => broker.fetch({ ...call, signal }));
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
    const tail = await forwardedCall.run(from, () =>
      broker.tail({ topic: query.topic ?? "", partition, offset, signal }),
    );
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
    const broker = this.boundBroker();
    const description = broker.describeTopic(topic);
    const partitions = [];
    for (const p of description.partitions)
      if (p.leader === broker.self.id && p.startOffset !== undefined && p.endOffset !== undefined)
        partitions.push({ partition: p.partition, startOffset: p.startOffset, endOffset: p.endOffset, sizeBytes: p.sizeBytes ?? 0 });
    return { topic: description.topic, partitions };
  }

  /** GET /cluster. */
  status(): ClusterStatus {
    return this.node.status();
  }
}
