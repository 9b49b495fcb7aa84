import { AsyncLocalStorage } from "node:async_hooks";
import type { Forwarder as LeaderCalls } from "../cluster/forwarder.ts";
import { errorFromAnswer, isTimeout, mayHaveArrived } from "../cluster/peer-client.ts";
import type { BrokerRef } from "../cluster/metadata.ts";
import { isErrorCode, StreamNestError } from "../lib/errors.ts";
import type { StoredRecord } from "../storage/types.ts";
import type { Forwarder, PartitionRange } from "./cluster-seam.ts";
import {
  decodeFetch,
  decodeRecord,
  FETCH_PATH,
  type FetchAnswer,
  type FetchCall,
  malformed,
  PRODUCE_PATH,
  type ProduceBatchAnswer,
  type ProduceCall,
  TAIL_PATH,
  type TailBatch,
  type TailError,
  type TailStart,
} from "./partition-wire.ts";
import type { FetchRequest, FetchResult, ProduceMessage, ProduceOutcome, Tail, TailRequest } from "./types.ts";

/**
 * The broker's Forwarder in a cluster: a produce, fetch or tail for a partition led by
 * another broker is sent to that leader (/internal/partitions/…) and its answer handed
 * back in the broker's own types, so the HTTP layer renders it exactly as a local one.
 *
 * A forwarded call is served where it lands, never forwarded again: if the leader's
 * metadata names yet another leader (brokers briefly disagreeing after a topic was
 * deleted and created again), the call fails with LEADER_UNAVAILABLE instead of
 * bouncing between brokers.
 */

/** Where a leader reports the ranges of the partitions of a topic it leads (`?topic=`). */
export const OFFSETS_PATH = "/internal/partitions/offsets";

/** The answer of OFFSETS_PATH: only partitions the answering broker leads. */
export interface OffsetsAnswer {
  topic: string;
  partitions: PartitionRange[];
}

/** Set while a broker serves a call another broker forwarded to it (value: the sender's id). */
export const forwardedCall = new AsyncLocalStorage<number | null>();

export function partitionName(topic: string, partition: number): string {
  return `partition ${partition} of topic "${topic}"`;
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

export class ClusterForwarder implements Forwarder {
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
  produce(leader: BrokerRef, topic: string, partition: number, messages: ProduceMessage[]): Promise<ProduceOutcome[]> {
    this.refuseSecondHop(leader, topic, partition);
    return new Promise<ProduceOutcome[]>((resolve, reject) => {
      let queue = this.pendingProduce.get(leader.id);
      if (!queue) {
        queue = { leader, calls: [] };
        this.pendingProduce.set(leader.id, queue);
        setImmediate(() => this.flushProduce(leader.id));
      }
      queue.calls.push({ call: { topic, partition, messages }, resolve, reject });
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
      if (last && last.bytes + bytes <= this.maxRequestBytes) {
        last.calls.push(pending);
        last.parts.push(part);
        last.bytes += bytes;
      } else requests.push({ calls: [pending], parts: [part], bytes: ENVELOPE_BYTES + bytes });
    }
    await Promise.all(requests.map((r) => this.sendProduce(queue.leader, r.calls, `{"calls":[${r.parts.join(",")}]}`)));
  }

  private async sendProduce(leader: BrokerRef, calls: PendingProduce[], body: string): Promise<void> {
    const first = calls[0].call;
    const one = calls.every((c) => c.call.topic === first.topic && c.call.partition === first.partition);
    const what = one ? partitionName(first.topic, first.partition) : partitionsName(calls.map((c) => c.call));
    let answer: ProduceBatchAnswer;
    try {
      answer = await this.leaders.json<ProduceBatchAnswer>(leader, {
        method: "POST",
        path: PRODUCE_PATH,
        body,
        // Coalesced, calls share one request and one timeout, while the leader's work
        // grows with them (a first write to a partition creates its log): 150 calls to
        // fresh partitions once took a busy leader past the 2 s peer timeout, answering a
        // produce that was being written as "may still write" and marking the leader down.
        // Capped low: a leader that does not answer at all must still be reported within
        // seconds (a 1,000-partition batch to a frozen leader: 7 s, not a hang).
        waitMs: Math.min((calls.length - 1) * PRODUCE_CALL_WAIT_MS, PRODUCE_MAX_EXTRA_WAIT_MS),
        what,
        role: one ? "is led by" : "are led by",
      });
      if (!answer || !Array.isArray(answer.results) || answer.results.length !== calls.length) throw malformed("produce");
    } catch (error) {
      for (const c of calls) c.reject(produceFailure(error, c.call.messages.length));
      return;
    }
    calls.forEach((c, i) => {
      const result = answer.results[i];
      if (result && "outcomes" in result && Array.isArray(result.outcomes) && result.outcomes.length === c.call.messages.length)
        c.resolve(result.outcomes);
      else if (result && "error" in result && isErrorCode(result.error))
        c.reject(new StreamNestError(result.error, result.message, result.details));
      else c.reject(malformed("produce"));
    });
  }

  async fetch(leader: BrokerRef, request: FetchRequest): Promise<FetchResult> {
    this.refuseSecondHop(leader, request.topic, request.partition);
    const body: FetchCall = {
      topic: request.topic,
      partition: request.partition,
      offset: request.offset,
      maxRecords: request.maxRecords,
      maxBytes: request.maxBytes,
      timeoutMs: request.timeoutMs,
      allowPastEnd: (request as FetchRequest & { allowPastEnd?: boolean }).allowPastEnd === true,
      uncounted: (request as FetchRequest & { uncounted?: boolean }).uncounted === true,
    };
    const answer = await this.leaders.json<FetchAnswer>(leader, {
      method: "POST",
      path: FETCH_PATH,
      body: JSON.stringify(body),
      signal: request.signal,
      waitMs: request.timeoutMs,
      what: partitionName(request.topic, request.partition),
    });
    return decodeFetch(answer);
  }

  async tail(leader: BrokerRef, request: TailRequest & { offset: number | undefined }): Promise<Tail> {
    this.refuseSecondHop(leader, request.topic, request.partition);
    const query = new URLSearchParams({ topic: request.topic, partition: String(request.partition) });
    if (request.offset !== undefined) query.set("offset", String(request.offset));
    const what = partitionName(request.topic, request.partition);
    // Closing the tail ends the call to the leader, which frees the leader's tail too.
    const closed = new AbortController();
    const signal = AbortSignal.any([request.signal, closed.signal]);
    const response = await this.leaders.send(leader, {
      method: "GET",
      path: `${TAIL_PATH}?${query}`,
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

  /** The leader's own ranges of the partitions of `topic` it leads (GET /internal/partitions/offsets). */
  async offsets(leader: BrokerRef, topic: string): Promise<PartitionRange[]> {
    const answer = await this.leaders.json<OffsetsAnswer>(leader, {
      method: "GET",
      path: `${OFFSETS_PATH}?${new URLSearchParams({ topic })}`,
      what: `partitions of topic "${topic}"`,
      role: "are led by",
    });
    if (!answer || !Array.isArray(answer.partitions)) throw malformed("offsets");
    return answer.partitions.map((p) => {
      if (![p.partition, p.startOffset, p.endOffset, p.sizeBytes].every((n) => Number.isSafeInteger(n))) throw malformed("offsets");
      return { partition: p.partition, startOffset: p.startOffset, endOffset: p.endOffset, sizeBytes: p.sizeBytes };
    });
  }

  private refuseSecondHop(leader: BrokerRef, topic: string, partition: number): void {
    const sender = forwardedCall.getStore();
    if (sender === undefined) return;
    throw new StreamNestError(
      "LEADER_UNAVAILABLE",
      `${partitionName(topic, partition)} was forwarded here${sender === null ? "" : ` by broker ${sender}`}, but this broker's metadata says broker ${leader.id} (${leader.address}) leads it; the brokers' metadata disagree for a moment, retry`,
      { leader: leader.id, broker: leader.address },
    );
  }
}

/**
 * What forwarding may add to a produce request that fit the entry broker's body limit,
 * which leaders allow on internal routes beyond that limit: a call over the limit goes
 * alone, and is the request's messages (each as the client sent it, or shorter) for one
 * partition wrapped in `{"calls":[{"topic","partition","messages":[…]}]}`. Without the
 * room, a request just under the limit was refused (413) through any broker but its leader.
 */
export const FORWARDED_CALL_OVERHEAD_BYTES = 1024;

/** Time a leader may take per produce call beyond the first in one request. */
const PRODUCE_CALL_WAIT_MS = 20;
const PRODUCE_MAX_EXTRA_WAIT_MS = 5_000;

/** The bytes of a produce request around its calls: `{"calls":[` and `]}`. */
const ENVELOPE_BYTES = '{"calls":[]}'.length;

interface PendingProduce {
  call: ProduceCall;
  resolve: (outcomes: ProduceOutcome[]) => void;
  reject: (error: unknown) => void;
}

/**
 * As with a Kafka producer's request timeout (or its NetworkException), a produce that
 * timed out, or whose connection broke once sent, has an unknown outcome; say so.
 */
function produceFailure(error: unknown, count: number): unknown {
  const what = count === 1 ? "the message" : "the messages";
  if (isTimeout(error) && error instanceof StreamNestError)
    return new StreamNestError("LEADER_UNAVAILABLE", `${error.message}; the leader may still write ${what}`, error.details);
  if (mayHaveArrived(error) && error instanceof StreamNestError)
    return new StreamNestError(
      "LEADER_UNAVAILABLE",
      `${error.message}; the leader may have written ${what} before the connection broke`,
      error.details,
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
