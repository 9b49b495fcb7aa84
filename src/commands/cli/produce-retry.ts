import { type BatchItemResult, type BatchMessage, isBatchItemError, type StreamNestClient } from "../../client/index.ts";
import { nextRetryMs } from "../../client/partition-follower.ts";
import { CLIENT_LIMITS } from "../../config/client.ts";
import { isErrorCode, StreamNestError } from "../../lib/errors.ts";
import { surelyNotStored } from "./fail.ts";

/**
 * The CLI producer's retries (issue 12: "the CLI producer retries a retriable error"),
 * as a Kafka producer retries within its delivery timeout: a message the cluster could
 * not take and surely did not store (no leader for its partition, too few in-sync
 * replicas) is sent again after a growing pause, for a bounded time. A message whose
 * outcome is unknown (a timeout, a connection broken after sending) is never sent again
 * by the producer's own doing: it could then be stored twice.
 */

/** True for a refusal worth sending again: nothing was stored, and the cluster may take it soon. */
export function worthRetrying(error: unknown): boolean {
  if (!(error instanceof StreamNestError) || !error.retriable) return false;
  if (error.code === "NOT_ENOUGH_REPLICAS") return true;
  return error.status >= 500 && surelyNotStored(error);
}

function itemError(item: BatchItemResult): StreamNestError | undefined {
  if (!isBatchItemError(item) || !isErrorCode(item.error)) return undefined;
  return new StreamNestError(item.error, item.message, item.details);
}

export interface RetryOptions {
  /** Told once per run of failures: why, before the first pause. */
  retrying?: (error: StreamNestError) => void;
  forMs?: number;
  firstMs?: number;
  maxMs?: number;
}

/** Runs `send` again while it throws what is worth retrying, until the time is up; then throws. */
export async function retryingSend<T>(send: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.forMs ?? CLIENT_LIMITS.producerRetryMs.value);
  let pause = 0;
  for (;;) {
    try {
      return await send();
    } catch (error) {
      if (!worthRetrying(error) || Date.now() >= deadline) throw error;
      if (pause === 0) options.retrying?.(error as StreamNestError);
      pause = nextRetryMs(pause, options.firstMs ?? CLIENT_LIMITS.retryFirstMs.value, options.maxMs ?? CLIENT_LIMITS.retryMaxMs.value);
      await Bun.sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
    }
  }
}

/**
 * A batch, with the messages refused in a way worth retrying sent again (only those,
 * in their order) until they are taken or the time is up: one answer per message.
 */
export async function produceBatchRetrying(
  client: StreamNestClient,
  topic: string,
  messages: readonly BatchMessage[],
  options: RetryOptions = {},
): Promise<BatchItemResult[]> {
  const deadline = Date.now() + (options.forMs ?? CLIENT_LIMITS.producerRetryMs.value);
  const within = { ...options, forMs: Math.max(0, deadline - Date.now()) };
  const results = await retryingSend(() => client.produceBatch(topic, messages), within);
  let pause = 0;
  for (;;) {
    const pending = results.flatMap((r, i) => (worthRetrying(itemError(r)) ? [i] : []));
    if (pending.length === 0 || Date.now() >= deadline) return results;
    if (pause === 0) options.retrying?.(itemError(results[pending[0]]) as StreamNestError);
    pause = nextRetryMs(pause, options.firstMs ?? CLIENT_LIMITS.retryFirstMs.value, options.maxMs ?? CLIENT_LIMITS.retryMaxMs.value);
    await Bun.sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
    const again = await retryingSend(() => client.produceBatch(topic, pending.map((i) => messages[i])), {
      ...options,
      retrying: undefined,
      forMs: Math.max(0, deadline - Date.now()),
    });
    pending.forEach((i, j) => (results[i] = again[j]));
  }
}
