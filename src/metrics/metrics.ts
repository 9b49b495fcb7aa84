import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import { CheapHistogram } from "./cheap-histogram.ts";
import { ReplicationMetrics } from "./replication-metrics.ts";
import { type GroupStat, registerGroupMetrics } from "./group-metrics.ts";
import { METRIC } from "./metric-names.ts";
import { registerHttpThreadMetric } from "./http-thread-metrics.ts";

/**
 * Every metric StreamNest exports is registered by BrokerMetrics, its name declared once
 * in metric-names.ts; the consumer-group gauges are built in group-metrics.ts. A `BrokerMetrics` owns its
 * own registry (not prom-client's global one) so several brokers can live in one
 * process, as route tests do. Per-partition gauges are not updated on the hot path:
 * they are read from the broker when /metrics is scraped.
 */

export { METRIC } from "./metric-names.ts";

export interface PartitionStat {
  topic: string;
  partition: number;
  endOffset: number;
  sizeBytes: number;
}

/**
 * Counters of one topic as plain numbers: the hot path adds to a field, and the
 * prom-client counters copy them when scraped (a labelled `inc` hashes its labels on
 * every call, which showed up in the produce profile).
 */
export interface TopicCounters {
  produced: number;
  consumed: number;
  bytesIn: number;
  bytesOut: number;
}

interface RequestCell {
  labels: { method: string; route: string; status: string };
  count: number;
  /** How much of `count` the prom-client counter already holds. */
  reported: number;
}

/**
 * Adds to a prom-client counter what a plain cell gained since the last scrape. Deltas,
 * not a reset and a copy, so a caller that increments the counter itself is not undone.
 */
function publish<K extends keyof TopicCounters>(
  counter: Counter<"topic">,
  labels: { topic: string },
  cell: TopicCounters,
  reported: TopicCounters,
  key: K,
): void {
  const delta = cell[key] - reported[key];
  if (delta > 0) counter.inc(labels, delta);
  reported[key] = cell[key];
}

// Latency buckets from 50 µs to 2.5 s: produce and read are sub-millisecond when warm.
const LATENCY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class BrokerMetrics {
  readonly registry = new Registry();
  readonly messagesProduced: Counter<"topic">;
  readonly messagesConsumed: Counter<"topic">;
  readonly bytesIn: Counter<"topic">;
  readonly bytesOut: Counter<"topic">;
  readonly produceLatency: CheapHistogram;
  readonly readLatency: CheapHistogram;
  readonly httpRequests: Counter<"method" | "route" | "status">;
  /** Requests of either door, by `protocol` ("http", "kafka"), API (route or Kafka API name) and outcome. */
  readonly protocolRequests: Counter<"protocol" | "api" | "outcome">;
  readonly activeStreams: Gauge;
  readonly waitingFetches: Gauge;
  readonly replication: ReplicationMetrics;
  private partitionSource: () => Iterable<PartitionStat> = () => [];
  private httpThreadSource: () => readonly number[] = () => [];
  private groupSource: () => Promise<GroupStat[]> = async () => [];
  private readonly topics = new Map<string, TopicCounters>();
  private readonly requests = new Map<string, RequestCell>();
  private readonly protocolCells = new Map<string, { labels: { protocol: string; api: string; outcome: string }; count: number; reported: number }>();
  private readonly reported = new Map<string, TopicCounters>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.replication = new ReplicationMetrics(this.registry);
    registerHttpThreadMetric(this.registry, () => this.httpThreadSource());
    const topics = this.topics;
    const requests = this.requests;
    const reported = this.reported;
    const reportedOf = (topic: string): TopicCounters => {
      let r = reported.get(topic);
      if (!r) reported.set(topic, (r = { produced: 0, consumed: 0, bytesIn: 0, bytesOut: 0 }));
      return r;
    };
    this.messagesProduced = new Counter({
      name: METRIC.messagesProduced,
      help: "Messages appended to a partition, by topic.",
      labelNames: ["topic"],
      registers,
      collect() {
        for (const [topic, c] of topics) publish(this, { topic }, c, reportedOf(topic), "produced");
      },
    });
    this.messagesConsumed = new Counter({
      name: METRIC.messagesConsumed,
      help: "Messages handed to consumers (reads, /consume and streams), by topic.",
      labelNames: ["topic"],
      registers,
      collect() {
        for (const [topic, c] of topics) publish(this, { topic }, c, reportedOf(topic), "consumed");
      },
    });
    this.bytesIn = new Counter({
      name: METRIC.bytesIn,
      help: "Bytes of message values, keys and headers produced, by topic.",
      labelNames: ["topic"],
      registers,
      collect() {
        for (const [topic, c] of topics) publish(this, { topic }, c, reportedOf(topic), "bytesIn");
      },
    });
    this.bytesOut = new Counter({
      name: METRIC.bytesOut,
      help: "Bytes of message values, keys and headers consumed, by topic.",
      labelNames: ["topic"],
      registers,
      collect() {
        for (const [topic, c] of topics) publish(this, { topic }, c, reportedOf(topic), "bytesOut");
      },
    });
    this.produceLatency = new CheapHistogram({
      name: METRIC.produceLatency,
      help: "Time from a produce call to its acknowledgement (append written).",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.readLatency = new CheapHistogram({
      name: METRIC.readLatency,
      help: "Time to read records for a fetch, not counting long-poll waiting.",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.httpRequests = new Counter({
      name: METRIC.httpRequests,
      help: "HTTP requests answered, by method, route pattern and status.",
      labelNames: ["method", "route", "status"],
      registers,
      collect() {
        for (const cell of requests.values()) {
          if (cell.count > cell.reported) this.inc(cell.labels, cell.count - cell.reported);
          cell.reported = cell.count;
        }
      },
    });
    const protocolCells = this.protocolCells;
    this.protocolRequests = new Counter({
      name: METRIC.protocolRequests,
      help: "Requests answered over each protocol (http, kafka), by API and outcome (ok, error).",
      labelNames: ["protocol", "api", "outcome"],
      registers,
      collect() {
        for (const cell of protocolCells.values()) {
          if (cell.count > cell.reported) this.inc(cell.labels, cell.count - cell.reported);
          cell.reported = cell.count;
        }
      },
    });
    this.activeStreams = new Gauge({
      name: METRIC.activeStreams,
      help: "Open live tails (server-sent event streams).",
      registers,
    });
    this.waitingFetches = new Gauge({
      name: METRIC.waitingFetches,
      help: "Fetches parked in a long poll, waiting for an append.",
      registers,
    });
    const source = (): Iterable<PartitionStat> => this.partitionSource();
    new Gauge({
      name: METRIC.partitionEndOffset,
      help: "Next offset to be written in each local partition.",
      labelNames: ["topic", "partition"],
      registers,
      collect() {
        this.reset();
        for (const s of source()) this.set({ topic: s.topic, partition: String(s.partition) }, s.endOffset);
      },
    });
    new Gauge({
      name: METRIC.partitionLogBytes,
      help: "Bytes on disk of each local partition's log.",
      labelNames: ["topic", "partition"],
      registers,
      collect() {
        this.reset();
        for (const s of source()) this.set({ topic: s.topic, partition: String(s.partition) }, s.sizeBytes);
      },
    });
    registerGroupMetrics(this.registry, () => this.groupSource());
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Where the consumer-group gauges read from at scrape time (the groups this broker coordinates). */
  setGroupSource(source: () => Promise<GroupStat[]>): void {
    this.groupSource = source;
  }

  /** Where the per-partition gauges read from at scrape time. */
  setPartitionSource(source: () => Iterable<PartitionStat>): void {
    this.partitionSource = source;
  }

  /** The counters of a topic (the same object on every call until it is forgotten). */
  topic(topic: string): TopicCounters {
    let counters = this.topics.get(topic);
    if (!counters) {
      counters = { produced: 0, consumed: 0, bytesIn: 0, bytesOut: 0 };
      this.topics.set(topic, counters);
    }
    return counters;
  }

  /** Drops a deleted topic's series so a scrape does not report it forever. */
  forgetTopic(topic: string): void {
    this.topics.delete(topic);
    this.reported.delete(topic);
    const labels = { topic };
    this.messagesProduced.remove(labels);
    this.messagesConsumed.remove(labels);
    this.bytesIn.remove(labels);
    this.bytesOut.remove(labels);
  }

  /** Counts one answered HTTP request; `route` is the route pattern, not the URL. */
  httpRequest(method: string, route: string, status: number): void {
    const key = `${method} ${route} ${status}`;
    const cell = this.requests.get(key);
    if (cell) cell.count++;
    else this.requests.set(key, { labels: { method, route, status: String(status) }, count: 1, reported: 0 });
    this.protocolRequest("http", `${method} ${route}`, status < 400);
  }

  /**
   * httpRequest for one method, route and status, its cells looked up once: for the
   * hottest answers (a plain produce or read), which then count without building a key.
   */
  httpRequestCounter(method: string, route: string, status: number): () => void {
    this.httpRequest(method, route, status);
    const cell = this.requests.get(`${method} ${route} ${status}`);
    const protocolCell = this.protocolCells.get(`http ${method} ${route} ${status < 400 ? "ok" : "error"}`);
    if (cell === undefined || protocolCell === undefined) throw new Error(`no request cells for ${method} ${route} ${status}`);
    cell.count--;
    protocolCell.count--;
    return () => {
      cell.count++;
      protocolCell.count++;
    };
  }

  /** Counts one answered request of a protocol (plain cells; copied to the counter when scraped). */
  protocolRequest(protocol: "http" | "kafka", api: string, ok: boolean): void {
    const outcome = ok ? "ok" : "error";
    const key = `${protocol} ${api} ${outcome}`;
    const cell = this.protocolCells.get(key);
    if (cell) cell.count++;
    else this.protocolCells.set(key, { labels: { protocol, api, outcome }, count: 1, reported: 0 });
  }

  /** With --workers above 1: requests answered by each thread serving HTTP (index = thread). */
  observeHttpThreads(source: () => readonly number[]): void {
    this.httpThreadSource = source;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
