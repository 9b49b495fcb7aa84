import { CLUSTER_LIMITS } from "../config/cluster.ts";
import { REPLICATION_LIMITS } from "../config/replication.ts";
import type { BrokerRef } from "../broker/metadata.ts";
import type { GroupCall } from "../broker/group-calls.ts";
import { partitionName } from "../broker/partition-router.ts";
import type { PeerTransport } from "../broker/peer-transport.ts";
import type {
  FetchQuery,
  FetchResult,
  PartitionRange,
  ProduceOutcome,
  ProduceRecord,
  StoredRecord,
  Tail,
  TailQuery,
} from "../broker/types.ts";
import { isErrorCode, StreamNestError } from "../lib/errors.ts";
import { INTERNAL_ROUTES } from "../lib/internal-routes.ts";
import { parseAllOffsets } from "./cluster-stats.ts";
import type { Forwarder as LeaderCalls } from "./forwarder.ts";
import { errorFromAnswer, isTimeout, mayHaveArrived } from "./peer-client.ts";
import {
  decodeFetch,
  decodeRecord,
  encodeProduceRecord,
  type FetchAnswer,
  type FetchCall,
  malformed,
  type ProduceBatchAnswer,
  type ProduceCall,
  type TailBatch,
  type TailError,
  type TailStart,
} from "./partition-wire.ts";

/**
 * The core's PeerTransport over HTTP: a produce, fetch or tail for a partition led by
 * another broker is sent to that leader (/internal/partitions/…), a group call to its
 * coordinator (/internal/groups), and the answer handed back in the core's own types,
 * so an adapter renders it exactly as a local one. The leader serves what it is sent
 * and never forwards it again (cluster-link.ts serves it with servedForwarded).
 */

/** The answer of the offsets route: only partitions the answering broker leads. */
export interface OffsetsAnswer {
  topic: string;
  partitions: PartitionRange[];
}

const NAMED_PARTITIONS = 5;
const NAMED_TOPICS = 3;

/**
 * `partitions 1, 4 and 7 of topic "a"`, naming a few: one flush may carry thousands of
 * partitions, and this text goes into every message's error of a batch (listing 3,000
 * partitions once made a 20,000-message batch answer 1 GB).
 */
export function partitionsName(parts: readonly { topic: string; partition: number }[]): string {
  const byTopic = new Map<string, Set<number>>();
  for (const { topic, partition } of parts) {
    let set = byTopic.get(topic);
    if (!set) byTopic.set(topic, (set = new Set()));
    set.add(partition);
  }
  const named = [...byTopic].slice(0, NAMED_TOPICS).map(([topic, set]) => {
    const partitions = [...set];
    const shown = partitions.slice(0, NAMED_PARTITIONS).join(", ");
    const rest = partitions.length - NAMED_PARTITIONS;
    const list = rest > 0 ? `${shown} and ${rest} more` : shown.replace(/, (\d+)$/, " and $1");
    return `${partitions.length === 1 ? "partition" : "partitions"} ${list} of topic "${topic}"`;
  });
  const restTopics = byTopic.size - NAMED_TOPICS;
  return restTopics > 0 ? `${named.join("; ")}; and partitions of ${restTopics} more topics` : named.join("; ");
}

export class PeerForwarder implements PeerTransport {
  /**
   * `maxRequestBytes`: the largest body a leader accepts (its --max-body-bytes; brokers
   * of one cluster share the setting), which coalesced produce calls must stay under.
   */
  constructor(
    private readonly leaders: LeaderCalls,
    private readonly maxRequestBytes = Number.POSITIVE_INFINITY,
  ) {}

  /**
   * Produce calls for partitions of one leader that arrive in the same turn of the event
   * loop travel as one request, as a Kafka producer batches per broker: the hop then
   * costs one round trip per turn instead of one per message, and the leader appends
   * them in the order they came. Each call still gets its own outcomes.
   */
  produce(leader: BrokerRef, topic: string, partition: number, records: ProduceRecord[], awaitsReplicas = false): Promise<ProduceOutcome[]> {
    const messages = records.map(encodeProduceRecord);
    return new Promise<ProduceOutcome[]>((resolve, reject) => {
      let queue = this.pendingProduce.get(leader.id);
      if (!queue) {
        queue = { leader, calls: [] };
        this.pendingProduce.set(leader.id, queue);
        setImmediate(() => this.flushProduce(leader.id));
      }
      queue.calls.push({ call: { topic, partition, messages }, awaitsReplicas, resolve, reject });
    });
  }

  private readonly pendingProduce = new Map<number, { leader: BrokerRef; calls: PendingProduce[] }>();

  /**
   * Sends the calls of one turn in as few requests as the leader's body limit allows:
   * requests that each fit alone would otherwise, coalesced, be refused together as too
   * large. A call over the limit by itself still goes, alone, for the leader to refuse.
   */
  private async flushProduce(leaderId: number): Promise<void> {
    const queue = this.pendingProduce.get(leaderId);
    this.pendingProduce.delete(leaderId);
    if (!queue) return;
    const requests: Array<{ calls: PendingProduce[]; parts: string[]; bytes: number }> = [];
    for (const pending of queue.calls) {
      const part = JSON.stringify(pending.call);
      const bytes = Buffer.byteLength(part) + 1;
      const last = requests.at(-1);
      if (last && last.bytes + bytes <= this.maxRequestBytes && last.calls.length < CALLS_PER_REQUEST) {
        last.calls.push(pending);
        last.parts.push(part);
        last.bytes += bytes;
      } else requests.push({ calls: [pending], parts: [part], bytes: ENVELOPE_BYTES + bytes });
    }
    // One after another: each request's timeout then covers only its own calls (a leader
    // opening 1,000 new partition logs took over the 7 s one request of them may wait, and
    // every message came back with an unknown outcome though all were written), and calls
    // to one partition keep their order. Once the leader failed to answer, the requests
    // not yet sent are not: their messages are surely not written, and said so.
    for (const [i, r] of requests.entries()) {
      if (await this.sendProduce(queue.leader, r.calls, `{"calls":[${r.parts.join(",")}]}`)) continue;
      const unsent = requests.slice(i + 1).flatMap((u) => u.calls);
      if (unsent.length === 0) break;
      const { leader } = queue;
      const error = new StreamNestError(
        "LEADER_UNAVAILABLE",
        `${partitionsName(unsent.map((c) => c.call))} led by broker ${leader.id} (${leader.address}), which failed an earlier part of this batch: not sent, not written`,
        { leader: leader.id, broker: leader.address },
      );
      for (const c of unsent) c.reject(error);
      break;
    }
  }

  /** Sends one request of produce calls; false when the leader gave no answer to it. */
  private async sendProduce(leader: BrokerRef, calls: PendingProduce[], body: string): Promise<boolean> {
    const first = calls[0].call;
    const one = calls.every((c) => c.call.topic === first.topic && c.call.partition === first.partition);
    const what = one ? partitionName(first.topic, first.partition) : partitionsName(calls.map((c) => c.call));
    let answer: ProduceBatchAnswer;
    try {
      answer = await this.leaders.json<ProduceBatchAnswer>(leader, {
        method: "POST",
        path: INTERNAL_ROUTES.produce,
        body,
        // Coalesced, calls share one request and one timeout, while the leader's work
        // grows with them (a first write to a partition creates its log): 150 calls to
        // fresh partitions once took a busy leader past the 2 s peer timeout, answering a
        // produce that was being written as "may still write" and marking the leader down.
        // Capped low: a leader that does not answer at all must still be reported within
        // seconds (a 1,000-partition batch to a frozen leader: 7 s, not a hang).
        waitMs:
          Math.min((calls.length - 1) * PRODUCE_CALL_WAIT_MS, PRODUCE_MAX_EXTRA_WAIT_MS) +
          (calls.some((c) => c.awaitsReplicas) ? ISR_WAIT_MS : 0),
        what,
        role: one ? "is led by" : "are led by",
      });
      if (!answer || !Array.isArray(answer.results) || answer.results.length !== calls.length) throw malformed("produce");
    } catch (error) {
      for (const c of calls) c.reject(produceFailure(error, c.call.messages.length));
      return false;
    }
    calls.forEach((c, i) => {
      const result = answer.results[i];
      if (result && "outcomes" in result && Array.isArray(result.outcomes) && result.outcomes.length === c.call.messages.length)
        c.resolve(result.outcomes);
      else if (result && "error" in result && isErrorCode(result.error))
        c.reject(new StreamNestError(result.error, result.message, result.details));
      else c.reject(malformed("produce"));
    });
    return true;
  }

  async fetch(leader: BrokerRef, request: FetchQuery): Promise<FetchResult> {
    const body: FetchCall = {
      topic: request.topic,
      partition: request.partition,
      offset: request.offset,
      maxRecords: request.maxRecords,
      maxBytes: request.maxBytes,
      timeoutMs: request.timeoutMs,
      uncounted: request.peek === true,
    };
    const answer = await this.leaders.json<FetchAnswer>(leader, {
      method: "POST",
      path: INTERNAL_ROUTES.fetch,
      body: JSON.stringify(body),
      signal: request.signal,
      waitMs: request.timeoutMs,
      what: partitionName(request.topic, request.partition),
    });
    return decodeFetch(answer);
  }

  async tail(leader: BrokerRef, request: TailQuery): Promise<Tail> {
    const query = new URLSearchParams({ topic: request.topic, partition: String(request.partition) });
    if (request.offset !== undefined) query.set("offset", String(request.offset));
    const what = partitionName(request.topic, request.partition);
    // Closing the tail ends the call to the leader, which frees the leader's tail too.
    const closed = new AbortController();
    const signal = AbortSignal.any([request.signal, closed.signal]);
    const response = await this.leaders.send(leader, {
      method: "GET",
      path: `${INTERNAL_ROUTES.tail}?${query}`,
      signal,
      what,
    });
    if (!response.ok) throw await errorFromAnswer(response, `${what}: broker ${leader.id} (${leader.address})`, leader.address);
    if (!response.body) throw malformed("tail");
    const lines = jsonLines(response.body, signal, (cause) => {
      const code = (cause as { code?: unknown } | null)?.code;
      return new StreamNestError(
        "LEADER_UNAVAILABLE",
        `${what} is led by broker ${leader.id} (${leader.address}), which broke off the stream${typeof code === "string" && code !== "" ? ` (${code})` : ""}; read again from the next offset`,
        { leader: leader.id, broker: leader.address },
      );
    });
    const first = await lines.next();
    const start = first.done ? undefined : (first.value as TailStart);
    if (!start || typeof start.startOffset !== "number") {
      closed.abort();
      await lines.return(undefined);
      throw malformed("tail");
    }
    return {
      startOffset: start.startOffset,
      records: batches(lines),
      close: () => {
        if (closed.signal.aborted) return;
        closed.abort();
        void lines.return(undefined);
      },
    };
  }

  /** The leader's own ranges of the partitions of `topic` it leads. */
  async partitionRanges(leader: BrokerRef, topic: string): Promise<PartitionRange[]> {
    const answer = await this.leaders.json<OffsetsAnswer>(leader, {
      method: "GET",
      path: `${INTERNAL_ROUTES.offsets}?${new URLSearchParams({ topic })}`,
      what: `partitions of topic "${topic}"`,
      role: "are led by",
    });
    if (!answer || !Array.isArray(answer.partitions)) throw malformed("offsets");
    return answer.partitions.map((p) => {
      if (![p.partition, p.startOffset, p.endOffset, p.sizeBytes].every((n) => Number.isSafeInteger(n))) throw malformed("offsets");
      const range: PartitionRange = { partition: p.partition, startOffset: p.startOffset, endOffset: p.endOffset, sizeBytes: p.sizeBytes };
      if (Number.isSafeInteger(p.highWatermark)) range.highWatermark = p.highWatermark;
      return range;
    });
  }

  /** The ranges of every partition `leader` leads, by topic, in one call. */
  async allPartitionRanges(leader: BrokerRef): Promise<Map<string, PartitionRange[]>> {
    const answer = await this.leaders.json<unknown>(leader, {
      method: "GET",
      path: INTERNAL_ROUTES.allOffsets,
      what: "partitions of every topic",
      role: "are led by",
    });
    return parseAllOffsets(answer);
  }

  /**
   * Carries a consumer-group call to its coordinator (which runs it there and never
   * forwards it again). A coordinator that cannot be reached is NOT_COORDINATOR naming
   * it, as Kafka's COORDINATOR_NOT_AVAILABLE: the client retries once the group has a
   * reachable coordinator.
   */
  async group<T>(target: BrokerRef, call: GroupCall, waitMs: number): Promise<T> {
    const [what, role] = "group" in call ? [`group "${call.group}"`, "is coordinated by"] : ["some groups", "are coordinated by"];
    try {
      return await this.leaders.json<T>(target, {
        method: "POST",
        path: INTERNAL_ROUTES.groups,
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
  }

}

/** Time a leader may take per produce call beyond the first in one request. */
const PRODUCE_CALL_WAIT_MS = CLUSTER_LIMITS.forwardedProduceCallWaitMs.value;
const PRODUCE_MAX_EXTRA_WAIT_MS = CLUSTER_LIMITS.forwardedProduceMaxExtraWaitMs.value;
const CALLS_PER_REQUEST = CLUSTER_LIMITS.forwardedProduceCallsPerRequest.value;

/**
 * An acks=all produce to a replicated partition waits at the leader for its in-sync
 * replicas, up to the leader's REPLICATION_LIMITS.produceAckTimeoutMs, after which the
 * leader itself answers (acknowledged, or REQUEST_TIMED_OUT with an unknown outcome).
 * The forwarding call waits that long on top of the peer timeout (the append and the
 * trip there and back), derived from the same value, so it always outlasts the leader:
 * a forwarder that gave up first would report an unknown outcome for a produce its
 * leader acknowledges a moment later.
 */
export const ISR_WAIT_MS = REPLICATION_LIMITS.produceAckTimeoutMs.value;

/** The bytes of a produce request around its calls: `{"calls":[` and `]}`. */
const ENVELOPE_BYTES = '{"calls":[]}'.length;

interface PendingProduce {
  call: ProduceCall;
  awaitsReplicas: boolean;
  resolve: (outcomes: ProduceOutcome[]) => void;
  reject: (error: unknown) => void;
}

/**
 * As with a Kafka producer's request timeout (or its NetworkException), a produce that
 * timed out, or whose connection broke once sent, has an unknown outcome: the leader may
 * have written it, and may yet commit it. Said as every unknown outcome is (README,
 * "Replication"): 504 REQUEST_TIMED_OUT, "the outcome is unknown", details.unknownOutcome.
 * A connection refused (nothing sent) stays the clean LEADER_UNAVAILABLE it is.
 */
export function produceFailure(error: unknown, count: number): unknown {
  const what = count === 1 ? "the message" : "the messages";
  if (!(error instanceof StreamNestError)) return error;
  const details = { ...(error.details as Record<string, unknown> | undefined), unknownOutcome: true };
  if (isTimeout(error))
    return new StreamNestError("REQUEST_TIMED_OUT", `the outcome is unknown: ${error.message}; the leader may still write ${what}`, details);
  if (mayHaveArrived(error))
    return new StreamNestError(
      "REQUEST_TIMED_OUT",
      `the outcome is unknown: ${error.message}; the leader may have written ${what} before the connection broke`,
      details,
    );
  return error;
}

async function* batches(lines: AsyncGenerator<unknown>): AsyncGenerator<StoredRecord[]> {
  for await (const line of lines) {
    const ended = line as TailError;
    if (ended && isErrorCode(ended.error) && typeof ended.message === "string")
      throw new StreamNestError(ended.error, ended.message, ended.details);
    const batch = line as TailBatch;
    if (!batch || !Array.isArray(batch.records)) throw malformed("tail");
    yield batch.records.map(decodeRecord);
  }
}

/**
 * Parses a stream of newline-delimited JSON; ends (and releases the stream) when the
 * caller stops. A stream that breaks (the leader killed) is `broken`'s error, not the
 * socket's raw one.
 */
async function* jsonLines(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
  broken: (cause: unknown) => StreamNestError,
): AsyncGenerator<unknown> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    while (!signal.aborted) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line !== "") yield JSON.parse(line) as unknown;
        newline = buffered.indexOf("\n");
      }
    }
  } catch (error) {
    // Closed on purpose: the tail simply ends, nobody is left to hear of it.
    if (signal.aborted) return;
    if (error instanceof SyntaxError) throw malformed("tail");
    throw broken(error);
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
