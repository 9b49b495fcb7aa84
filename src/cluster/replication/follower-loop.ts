import type { BrokerRef } from "../../broker/metadata.ts";
import { REPLICATION_LIMITS } from "../../config/replication.ts";
import type { LogLease } from "../../broker/open-logs.ts";
import type { PartitionLog } from "../../storage/partition-log.ts";
import { type FrameChunk, sliceChunk } from "../../storage/frame-chunk.ts";
import { decodeFetchAnswer, encodeFetchRequest, type FetchAnswerHead } from "./fetch-wire.ts";
import { followerHighWatermark, nextFetch, truncationFor } from "./follower-fetch.ts";
import type { ReplicaFetchTransport } from "./replica-manager.ts";

/**
 * One follower's fetch loop (Kafka's ReplicaFetcherThread, one partition): fetch from
 * the leader with this log's end offset, last epoch and the leader epoch it knows;
 * append what comes back at the same offsets, stamped with the epochs the leader wrote
 * them in; truncate first when the leader says the log diverged; follow the leader's
 * high watermark. A new leader or epoch (from committed metadata) redirects it.
 */

export interface FollowerLoopOptions {
  self: number;
  topic: string;
  topicId: string;
  partition: number;
  /**
   * A lease on the replica's log, opened if need be: taken around each step that touches
   * the log and released before waiting on the leader, so an idle follower's log may be
   * closed to make room (--max-open-partitions). Undefined once the topic is gone.
   */
  lease: () => LogLease | undefined | Promise<LogLease | undefined>;
  transport: ReplicaFetchTransport;
  brokerRef: (id: number) => BrokerRef;
  warn: (message: string) => void;
}

export class FollowerLoop {
  private leader = -1;
  private leaderEpoch = -1;
  private readonly stopper = new AbortController();
  /** Aborted when the leader or its epoch changes: ends a fetch still waiting on the one before. */
  private term = new AbortController();
  /** Aborted by stop() or by the end of the term: what each fetch of the term listens to. */
  private termSignal: AbortSignal = this.stopper.signal;
  private running: Promise<void> | undefined;
  private lastWarning = "";
  /** How long the next fetch may wait at the leader (see nextWaitMs). */
  private waitMs = REPLICATION_LIMITS.fetchWaitMs.value;

  constructor(private readonly options: FollowerLoopOptions) {}

  /** Follows `leader` in `leaderEpoch`; starts the loop on first call. */
  follow(leader: number, leaderEpoch: number): void {
    if (leader !== this.leader || leaderEpoch !== this.leaderEpoch) {
      // A fetch still waiting on the old leader (paused, or cut off from this broker)
      // would hold this follower back from the new one until it timed out (the wait plus
      // 2 s), and with it every acks=all produce the new leader needs this copy for.
      this.term.abort();
      this.term = new AbortController();
      this.waitMs = REPLICATION_LIMITS.fetchWaitMs.value;
      this.termSignal = AbortSignal.any([this.stopper.signal, this.term.signal]);
    }
    this.leader = leader;
    this.leaderEpoch = leaderEpoch;
    this.running ??= this.loop();
  }

  stop(): void {
    this.stopper.abort();
  }

  private async loop(): Promise<void> {
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      const leader = this.leader;
      const epoch = this.leaderEpoch;
      const term = this.termSignal;
      let lease: LogLease | undefined;
      try {
        // Awaited only when it is a promise: each await is a turn of the microtask queue, on
        // the path of every acks=all produce (the leader answers once this fetch says where we are).
        const taking = this.options.lease();
        lease = taking instanceof Promise ? await taking : taking;
        if (!lease) return;
        const request = nextFetch(this.options.self, epoch, lease.log);
        lease.release();
        lease = undefined;
        const body = encodeFetchRequest({
          ...request,
          topic: this.options.topic,
          topicId: this.options.topicId,
          partition: this.options.partition,
          maxWaitMs: this.waitMs,
        });
        const { bytes, authenticated } = await this.options.transport.fetch(this.options.brokerRef(leader), body, this.waitMs + 2_000, term);
        if (signal.aborted || leader !== this.leader || epoch !== this.leaderEpoch) continue;
        const { head, chunk } = decodeFetchAnswer(bytes);
        const retaking = this.options.lease();
        lease = retaking instanceof Promise ? await retaking : retaking;
        if (!lease) return;
        let backOff: boolean;
        try {
          backOff = await applyAnswer(lease.log, head, chunk, authenticated);
        } finally {
          lease.release();
          lease = undefined;
        }
        this.waitMs = nextWaitMs(this.waitMs, head, chunk);
        // Fenced, not the leader (yet), or an epoch this broker does not know yet: the
        // metadata will say more; wait a moment rather than spin.
        if (backOff) await sleep(REPLICATION_LIMITS.fetchBackoffMs.value, signal);
        this.lastWarning = "";
      } catch (error) {
        lease?.release();
        lease = undefined;
        if (signal.aborted) break;
        // The leader moved while this fetch waited on it: on to the new one, at once.
        if (term.aborted) continue;
        const message = `following partition ${this.options.partition} of "${this.options.topic}" from broker ${leader}: ${error instanceof Error ? error.message : String(error)}`;
        // Said once per kind of failure: a leader down for seconds would fill the log otherwise.
        if (message !== this.lastWarning) this.options.warn(message);
        this.lastWarning = message;
        this.waitMs = REPLICATION_LIMITS.fetchWaitMs.value;
        await sleep(REPLICATION_LIMITS.fetchBackoffMs.value, signal);
      }
    }
  }
}

/**
 * Applies a fetch answer to the follower's log: truncates when the leader says it
 * diverged (KIP-279), appends the records at their offsets with the epochs they were
 * written in, follows the leader's HW. True when the answer calls for a pause.
 */
async function applyAnswer(log: PartitionLog, head: FetchAnswerHead, chunk: FrameChunk, authenticated: boolean): Promise<boolean> {
  const v = head.verdict;
  if (v.kind === "diverging") {
    const cut = truncationFor(log, v);
    if (cut.kind === "truncate") log.truncateTo(cut.offset);
    else log.truncateFullyAndStartAt(cut.offset);
    return false;
  }
  if (v.kind === "start-over") {
    log.truncateFullyAndStartAt(v.startOffset);
    return false;
  }
  if (v.kind !== "read") return true;
  if (chunk.count > 0 && chunk.firstOffset === log.logEndOffset) {
    const end = chunk.firstOffset + chunk.count;
    // One append per epoch run (each stamped with its epoch), each written at once.
    // Signed by the leader, the bytes are those whose CRCs it checked (checkChunk).
    const options = { crcsChecked: authenticated, writeNow: true };
    const appends: Promise<unknown>[] = [];
    for (let i = 0; i < head.runs.length; i++) {
      const from = head.runs[i].startOffset;
      const to = head.runs[i + 1]?.startOffset ?? end;
      appends.push(log.appendFramesAt(head.runs.length === 1 ? chunk : sliceChunk(chunk, from, to), head.runs[i].epoch, options));
    }
    await Promise.all(appends);
  }
  const hw = followerHighWatermark(head.highWatermark, log);
  if (hw > log.highWatermark) log.setHighWatermark(hw);
  return false;
}

/**
 * The wait of the fetch after `head`: doubled, up to fetchIdleWaitMs, when the leader had
 * nothing to send (the fetch waited out its time at the log end); back to fetchWaitMs
 * otherwise, so the high watermark of a partition that just went quiet still reaches the
 * follower within fetchWaitMs.
 */
export function nextWaitMs(waitMs: number, head: FetchAnswerHead, chunk: FrameChunk): number {
  if (head.verdict.kind === "read" && chunk.count === 0) return Math.min(waitMs * 2, REPLICATION_LIMITS.fetchIdleWaitMs.value);
  return REPLICATION_LIMITS.fetchWaitMs.value;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
