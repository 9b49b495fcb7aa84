import { StreamNestError, isErrorCode, type ErrorCode } from "../lib/errors.ts";
import { displayAddress, parseBrokerAddresses } from "./address.ts";
import { parseServerSentEvents } from "./sse.ts";
import type {
  BatchItemResult,
  BatchMessage,
  ConsumeResult,
  CreateTopicResult,
  HealthResult,
  Metadata,
  PartitionPlacement,
  ProduceOptions,
  ProduceResult,
  ReadOptions,
  ReadResult,
  RecordView,
  SchemasResult,
  TopicConfigPatch,
  TopicConfigView,
  TopicDescription,
  TopicReplicationOptions,
} from "./types.ts";
import { CLIENT_LIMITS } from "../config/client.ts";

export interface ClientOptions {
  /** Longest wait for one answer (long polls get their own wait added). Default 30 s. */
  timeoutMs?: number;
  /** API token for brokers run with --auth=token, sent as `Authorization: Bearer`. */
  token?: string;
  /**
   * HTTPS: the CA to trust (PEM; default the system's) and a client certificate with its
   * key for brokers that require one. Given, `host:port` means https://host:port.
   */
  tls?: ClientTls;
}

export interface ClientTls {
  ca?: string;
  cert?: string;
  key?: string;
  /** False only to ask whether a broker answers at all, trusting nothing it says (`streamnest health`). */
  rejectUnauthorized?: boolean;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  signal?: AbortSignal;
  /** Added to the client's timeout, for requests the broker is allowed to hold. */
  extraTimeoutMs?: number;
}

/** Answer statuses that carry no body the caller wants (204 past the end of a log). */
const NO_CONTENT = 204;

/**
 * The typed HTTP client of a StreamNest cluster, used by the CLI, the tests and the
 * benchmark. Any broker answers any route, so the client talks to one address and
 * moves to the next only when the one it uses cannot be reached. Bun's fetch keeps
 * connections alive and pools them, so successive calls reuse one socket.
 *
 * As Kafka's bootstrap.servers, the addresses given are where to start: every metadata
 * answer adds the cluster's other brokers after them, so a client started against one
 * broker carries on through the others when that one goes down.
 */
export class StreamNestClient {
  private readonly list: string[];
  private current = 0;
  private readonly timeoutMs: number;
  private readonly token: string | undefined;
  private readonly tls: ClientTls | undefined;

  constructor(brokers: string | readonly string[], options: ClientOptions = {}) {
    this.list = parseBrokerAddresses(brokers, options.tls !== undefined ? "https" : "http");
    this.timeoutMs = options.timeoutMs ?? CLIENT_LIMITS.requestTimeoutMs.value;
    this.token = options.token === "" ? undefined : options.token;
    this.tls = options.tls;
  }

  /** Base URLs this client may use: the ones given, then the ones metadata named. */
  get addresses(): readonly string[] {
    return this.list;
  }

  /** The base URL in use now (`http://host:port`). */
  get baseUrl(): string {
    return this.addresses[this.current];
  }

  createTopic(topic: string, partitions: number, replication: TopicReplicationOptions = {}): Promise<CreateTopicResult> {
    const body: Record<string, unknown> = { topic, partitions };
    if (replication.replicationFactor !== undefined) body.replication_factor = replication.replicationFactor;
    if (replication.minInsyncReplicas !== undefined) body.min_insync_replicas = replication.minInsyncReplicas;
    if (replication.retentionMs !== undefined) body.retention_ms = replication.retentionMs;
    if (replication.retentionBytes !== undefined) body.retention_bytes = replication.retentionBytes;
    return this.json<CreateTopicResult>("POST", "/create-topic", { body });
  }

  /** Changes a topic's settings; answers those now in effect with their sources. */
  async setTopicConfig(topic: string, patch: TopicConfigPatch): Promise<TopicConfigView> {
    const body: Record<string, unknown> = {};
    if (patch.retentionMs !== undefined) body.retention_ms = patch.retentionMs;
    if (patch.retentionBytes !== undefined) body.retention_bytes = patch.retentionBytes;
    return (await this.json<{ config: TopicConfigView }>("PATCH", `/topics/${encodeURIComponent(topic)}`, { body })).config;
  }

  async listTopics(): Promise<string[]> {
    return (await this.json<{ topics: string[] }>("GET", "/list-topics")).topics;
  }

  async metadata(): Promise<Metadata> {
    const metadata = await this.json<Metadata>("GET", "/metadata");
    this.learn(metadata.brokers);
    return metadata;
  }

  /**
   * Adds the brokers a metadata answer names. A broker that advertises a loopback
   * address (the default, localhost:<port>) is only learned from a broker reached on
   * loopback too: from another machine that address would name this machine instead.
   */
  private learn(brokers: Metadata["brokers"]): void {
    if (!Array.isArray(brokers)) return;
    const fromLoopback = isLoopback(this.baseUrl);
    for (const broker of brokers) {
      let base: string;
      try {
        // A broker advertises host:port; it speaks what the one that named it speaks.
        [base] = parseBrokerAddresses(String(broker?.address ?? ""), this.baseUrl.startsWith("https:") ? "https" : "http");
      } catch {
        continue;
      }
      if (isLoopback(base) && !fromLoopback) continue;
      if (!this.list.some((known) => sameBroker(known, base))) this.list.push(base);
    }
  }

  /**
   * The partitions of one topic and where each lives; an unknown topic is a
   * TOPIC_NOT_FOUND whose details list the topics there are.
   */
  async partitionsOf(topic: string): Promise<PartitionPlacement[]> {
    const metadata = await this.metadata();
    const entry = Object.hasOwn(metadata.topic_partitions, topic) ? metadata.topic_partitions[topic] : undefined;
    if (!entry) {
      const topics = Object.keys(metadata.topic_partitions).sort();
      // With a token the metadata lists only the topics its principal may describe: the
      // topic may exist and be hidden (said so, rather than "there are no topics yet").
      const filtered = this.token !== undefined;
      throw new StreamNestError(
        "TOPIC_NOT_FOUND",
        `topic "${topic}" does not exist on ${displayAddress(this.baseUrl)}${filtered ? ", or this token may not see it (that needs DESCRIBE, READ or WRITE on the topic)" : ""}`,
        { topics, ...(filtered ? { filtered } : {}) },
      );
    }
    return [...entry.partitions].sort((a, b) => a.partition - b.partition);
  }

  registerSchema(topic: string, schema: unknown): Promise<{ status: "schema registered"; version: number }> {
    return this.json("POST", "/register-schema", { body: { topic, schema } });
  }

  schemas(topic: string): Promise<SchemasResult> {
    return this.json<SchemasResult>("GET", `/schemas/${encodeURIComponent(topic)}`);
  }

  produce(topic: string, message: string, options: ProduceOptions = {}): Promise<ProduceResult> {
    return this.json<ProduceResult>("POST", "/produce", { body: { topic, message, ...options } });
  }

  /**
   * One answer per message, in order: its partition and offset, or its own refusal.
   * A batch whose every message was refused is an error status on the wire, but it
   * still lists each message's reason, and so does this answer; a request refused as a
   * whole (unknown topic, body too large) throws.
   */
  async produceBatch(topic: string, messages: readonly BatchMessage[]): Promise<BatchItemResult[]> {
    try {
      return (await this.json<{ results: BatchItemResult[] }>("POST", "/produce", { body: { topic, messages } })).results;
    } catch (error) {
      const results = perMessageResults(error);
      if (results && results.length === messages.length) return results;
      throw error;
    }
  }

  /** The seed's one-message read; null past the end of the partition. */
  consume(
    topic: string,
    partition: number,
    offset: number,
    options: { max?: number; waitMs?: number; signal?: AbortSignal } = {},
  ): Promise<ConsumeResult | null> {
    return this.json<ConsumeResult | null>("GET", "/consume", {
      query: { topic, partition, offset, max: options.max, wait_ms: options.waitMs },
      signal: options.signal,
      extraTimeoutMs: options.waitMs,
    });
  }

  /** A batch of records from `offset` on; with `timeoutMs` the broker waits for the first one. */
  readRecords(topic: string, partition: number, options: ReadOptions): Promise<ReadResult> {
    return this.json<ReadResult>("GET", `${partitionPath(topic, partition)}/records`, {
      query: {
        offset: options.offset,
        max: options.max,
        max_bytes: options.maxBytes,
        timeout_ms: options.timeoutMs,
      },
      signal: options.signal,
      extraTimeoutMs: options.timeoutMs,
    });
  }

  /**
   * Every record of a partition from `offset` on, then each new one as it is appended
   * (server-sent events), until the signal aborts or the caller stops iterating. A
   * stream the broker ended because this reader fell behind (REQUEST_TIMED_OUT with a
   * `resume_offset`) is reopened from that offset, unseen by the caller.
   */
  async *stream(
    topic: string,
    partition: number,
    options: { offset: number; signal?: AbortSignal },
  ): AsyncGenerator<RecordView, void, undefined> {
    let offset = options.offset;
    for (;;) {
      const res = await this.send("GET", `${partitionPath(topic, partition)}/records/stream`, {
        query: { offset },
        signal: options.signal,
        // The stream is open-ended: only the caller's signal ends it.
        extraTimeoutMs: Number.POSITIVE_INFINITY,
      });
      if (!res.body) return;
      let resume: number | undefined;
      for await (const event of parseServerSentEvents(res.body)) {
        if (event.event === "error") {
          const error = errorFromBody(503, event.data, this.baseUrl);
          resume = resumeOffset(error);
          if (resume === undefined) throw error;
          break;
        }
        if (event.event !== "message" && event.event !== "record") continue;
        const record = JSON.parse(event.data) as RecordView;
        offset = record.offset + 1;
        yield record;
      }
      if (resume === undefined) return;
      offset = resume;
    }
  }

  describeTopic(topic: string): Promise<TopicDescription> {
    return this.json<TopicDescription>("GET", `/topics/${encodeURIComponent(topic)}`);
  }

  /** Grows a topic to `count` partitions (the new total; never fewer). */
  createPartitions(topic: string, count: number): Promise<{ status: "created"; topic: string; partitions: number; previous: number }> {
    return this.json("POST", `/topics/${encodeURIComponent(topic)}/partitions`, { body: { count } });
  }

  deleteTopic(topic: string): Promise<{ status: "deleted"; topic: string }> {
    return this.json("DELETE", `/topics/${encodeURIComponent(topic)}`);
  }

  health(): Promise<HealthResult> {
    return this.json<HealthResult>("GET", "/health");
  }

  /** One request with a JSON answer (null for 204); also how src/client/groups.ts reaches the group routes. */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, options);
    if (res.status === NO_CONTENT) return null as T;
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new StreamNestError(
        "INTERNAL_ERROR",
        `${displayAddress(this.baseUrl)} answered ${method} ${path} with something that is not JSON`,
      );
    }
  }

  /**
   * Sends one request; a broker that cannot be reached passes the turn to the next
   * address. A request that may have reached a broker is not repeated elsewhere unless
   * it is a read, so a produce is never written twice by the client's own doing.
   */
  private async send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const url = (base: string) => {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(options.query ?? {}))
        if (value !== undefined) query.set(name, String(value));
      const qs = query.toString();
      return `${base}${path}${qs ? `?${qs}` : ""}`;
    };
    const limit = this.timeoutMs + (options.extraTimeoutMs ?? 0);
    const failures: string[] = [];
    let mayHaveArrived = false;
    for (let attempt = 0; attempt < this.addresses.length; attempt++) {
      const index = (this.current + attempt) % this.addresses.length;
      const base = this.addresses[index];
      const signals = [options.signal, Number.isFinite(limit) ? AbortSignal.timeout(limit) : undefined].filter(
        (s): s is AbortSignal => s !== undefined,
      );
      let res: Response;
      try {
        const headers: Record<string, string> = {};
        if (options.body !== undefined) headers["content-type"] = "application/json";
        if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
        res = await fetch(url(base), {
          method,
          headers,
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: signals.length === 0 ? undefined : AbortSignal.any(signals),
          ...(this.tls !== undefined ? { tls: this.tls } : {}),
        });
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason ?? error;
        if (isTimeout(error))
          throw new StreamNestError(
            "REQUEST_TIMED_OUT",
            `${displayAddress(base)} did not answer ${method} ${path} within ${limit} ms`,
          );
        failures.push(`${displayAddress(base)} (${networkProblem(error, this.tls)})`);
        if (!neverConnected(error)) mayHaveArrived = true;
        if (method !== "GET" && !neverConnected(error)) break;
        continue;
      }
      this.current = index;
      if (res.ok) return res;
      throw errorFromBody(res.status, await res.text(), base);
    }
    throw new StreamNestError(
      "LEADER_UNAVAILABLE",
      failures.length === 1
        ? `cannot reach the broker at ${failures[0]}`
        : `cannot reach any broker: ${failures.join(", ")}`,
      // mayHaveArrived: a connection broke after the request went, so a write may have been made.
      { unreachable: this.addresses.map(displayAddress), ...(mayHaveArrived ? { mayHaveArrived: true } : {}) },
    );
  }
}

function hostOf(base: string): string {
  try {
    return new URL(base).hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  } catch {
    return "";
  }
}

function isLoopback(base: string): boolean {
  const host = hostOf(base);
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** localhost:8080 and 127.0.0.1:8080 are one broker. */
function sameBroker(a: string, b: string): boolean {
  if (a === b) return true;
  const [ua, ub] = [new URL(a), new URL(b)];
  return ua.port === ub.port && ua.protocol === ub.protocol && isLoopback(a) && isLoopback(b);
}

function perMessageResults(error: unknown): BatchItemResult[] | undefined {
  if (!(error instanceof StreamNestError) || typeof error.details !== "object" || error.details === null) return undefined;
  const results = (error.details as { results?: unknown }).results;
  return Array.isArray(results) ? (results as BatchItemResult[]) : undefined;
}

/** True when the error says no broker could be reached at all (as opposed to a refusal). */
export function isUnreachable(error: unknown): boolean {
  return (
    error instanceof StreamNestError &&
    error.code === "LEADER_UNAVAILABLE" &&
    typeof error.details === "object" &&
    error.details !== null &&
    "unreachable" in error.details
  );
}

function partitionPath(topic: string, partition: number): string {
  return `/topics/${encodeURIComponent(topic)}/partitions/${partition}`;
}

/** Where to reopen a live tail the broker ended because its reader fell behind (http/sse.ts). */
function resumeOffset(error: StreamNestError): number | undefined {
  if (error.code !== "REQUEST_TIMED_OUT" || typeof error.details !== "object" || error.details === null) return undefined;
  const offset = (error.details as { resume_offset?: unknown }).resume_offset;
  return typeof offset === "number" && Number.isSafeInteger(offset) && offset >= 0 ? offset : undefined;
}

/** The broker's `{"error","message"}` answer as the StreamNestError it stands for. */
function errorFromBody(status: number, text: string, base: string): StreamNestError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (typeof body === "object" && body !== null && "error" in body) {
    const { error, message, results } = body as { error: unknown; message?: unknown; results?: unknown };
    // A batch refused message by message carries each reason; keep them for the caller.
    const details = Array.isArray(results) ? { results } : (body as { details?: unknown }).details;
    const text = typeof message === "string" ? message : String(error);
    if (isErrorCode(error)) return new StreamNestError(error, text, details);
    return new StreamNestError(codeForStatus(status), `${String(error)}: ${text}`, details);
  }
  const snippet = text.trim().slice(0, 200);
  return new StreamNestError(
    codeForStatus(status),
    `${displayAddress(base)} answered HTTP ${status}${snippet ? `: ${snippet}` : ""}`,
  );
}

function codeForStatus(status: number): ErrorCode {
  if (status === 401) return "UNAUTHORIZED";
  if (status === 404) return "NOT_FOUND";
  if (status === 413) return "BODY_TOO_LARGE";
  if (status === 503) return "LEADER_UNAVAILABLE";
  if (status === 504) return "REQUEST_TIMED_OUT";
  return status < 500 ? "INVALID_REQUEST" : "INTERNAL_ERROR";
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;
}

function isTimeout(error: unknown): boolean {
  return error instanceof DOMException ? error.name === "TimeoutError" : errorCode(error) === "ETIMEDOUT";
}

/** Failures where the request surely never reached a broker, so another may take it. */
function neverConnected(error: unknown): boolean {
  const code = errorCode(error);
  return code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ConnectionRefused";
}

function networkProblem(error: unknown, tls?: ClientTls): string {
  switch (errorCode(error)) {
    case "EPROTO":
      // Bun's own words ("Does the server speak TLS on this port?") misled when the broker
      // speaks TLS and refused the handshake for want of a client certificate (--tls-ca set).
      return tls?.cert === undefined
        ? "the TLS handshake failed: the broker may require a client certificate (--tls-cert and --tls-key), or it does not speak TLS on this port"
        : "the TLS handshake failed: the broker refused this client certificate (not signed by its --tls-ca), or it does not speak TLS on this port";
    case "ECONNREFUSED":
    case "ConnectionRefused":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "ECONNRESET":
    case "ConnectionClosed":
      return "connection closed by the broker";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
