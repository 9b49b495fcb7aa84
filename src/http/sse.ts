import { StreamNestError } from "../lib/errors.ts";
import type { StoredRecord } from "../broker/types.ts";
import type { Tail } from "../broker/types.ts";
import { HTTP, HTTP_LIMITS } from "../config/http.ts";
import { sseEvents } from "./sse-frames.ts";

export { sseEvents };

/**
 * Server-sent events (WHATWG HTML, "Server-sent events"): one `record` event per
 * record, its offset as the event id, so a client that reconnects with Last-Event-ID
 * resumes after it. A comment line every HEARTBEAT_MS keeps proxies from closing an
 * idle stream and lets the server notice a client that vanished.
 */
export const HEARTBEAT_MS = HTTP_LIMITS.sseHeartbeatMs.value;
const encoder = new TextEncoder();

/** A reader's queue bound and how long a full queue waits for it (config/http.ts). */
export interface SseReaderLimits {
  bufferBytes: number;
  stallMs: number;
}

export const DEFAULT_SSE_READER_LIMITS: SseReaderLimits = {
  bufferBytes: HTTP.sseBufferBytes.default,
  stallMs: HTTP.sseStallMs.default,
};

type Step = { ok: true; result: IteratorResult<StoredRecord[]> } | { ok: false; error: unknown };

function errorEvent(body: unknown): Uint8Array {
  return encoder.encode(`event: error\ndata: ${JSON.stringify(body)}\n\n`);
}

/**
 * A stream over a tail, pushed rather than pulled: batches go into the stream's own
 * queue (bounded by `bufferBytes`, counted by ByteLengthQueuingStrategy) as the tail
 * yields them, and the socket takes from it as fast as the reader reads. With the queue
 * full the tail reads nothing more for this reader; a queue still full after `stallMs`
 * means the reader fell behind: it is sent an `error` event (REQUEST_TIMED_OUT, with
 * `resume_offset` in the details) after what is queued, and the stream ends, so one
 * stalled reader pins at most its bound, never a growing backlog. The encoded batches
 * are shared among the readers of a partition (sse-frames.ts).
 *
 * The tail's next batch is asked for once and handled by one callback, however many
 * heartbeats pass before it comes: racing the same promise against a fresh heartbeat
 * on every wait would add a reaction to it per heartbeat, so an idle stream would grow
 * for as long as it stays open (~60 bytes a heartbeat, per stream).
 */
export function sseStream(
  tail: Tail,
  controller: AbortController,
  onEnd: () => void,
  heartbeatMs: number = HEARTBEAT_MS,
  limits: SseReaderLimits = DEFAULT_SSE_READER_LIMITS,
): ReadableStream<Uint8Array> {
  const iterator = tail.records[Symbol.asyncIterator]();
  let step: Step | undefined;
  let wake: (() => void) | undefined;
  let drained: (() => void) | undefined;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    controller.abort();
    tail.close();
    void iterator.return?.(undefined);
    onEnd();
    wake?.();
    drained?.();
  };
  const settle = (next: Step): void => {
    step = next;
    wake?.();
  };
  /** Resolves true when the reader took from a full queue, false after `ms` without. */
  const waitForRoom = (ms: number): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        drained = undefined;
        resolve(false);
      }, ms);
      drained = () => {
        drained = undefined;
        clearTimeout(timer);
        resolve(true);
      };
    });
  const waitForStep = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, heartbeatMs);
      wake = () => {
        wake = undefined;
        clearTimeout(timer);
        resolve();
      };
    });
  const pump = async (stream: ReadableStreamDefaultController<Uint8Array>): Promise<void> => {
    let next = tail.startOffset;
    while (!ended) {
      if ((stream.desiredSize ?? 0) <= 0) {
        if (await waitForRoom(limits.stallMs)) continue;
        if (ended) return;
        const error = new StreamNestError(
          "REQUEST_TIMED_OUT",
          `the reader did not keep up: ${limits.bufferBytes} bytes waited ${limits.stallMs} ms; reconnect from offset ${next}`,
          { resume_offset: next },
        );
        stream.enqueue(errorEvent(error.toJSON()));
        end();
        stream.close();
        return;
      }
      iterator.next().then(
        (result) => settle({ ok: true, result }),
        (error: unknown) => settle({ ok: false, error }),
      );
      while (step === undefined && !ended) {
        await waitForStep();
        if (step === undefined && !ended && (stream.desiredSize ?? 0) > 0) stream.enqueue(encoder.encode(": heartbeat\n\n"));
      }
      // Cancelled while waiting: the stream is gone, nothing may be enqueued.
      if (ended) return;
      const got = step as Step;
      step = undefined;
      if (!got.ok) {
        const error = got.error;
        stream.enqueue(
          errorEvent(
            error instanceof StreamNestError
              ? error.toJSON()
              : { error: "INTERNAL_ERROR", message: error instanceof Error ? error.message : String(error) },
          ),
        );
        end();
        stream.close();
        return;
      }
      if (got.result.done) {
        end();
        stream.close();
        return;
      }
      const batch = got.result.value;
      stream.enqueue(sseEvents(batch));
      next = batch[batch.length - 1].offset + 1;
    }
  };
  return new ReadableStream<Uint8Array>(
    {
      start(stream) {
        stream.enqueue(encoder.encode(`: streaming from offset ${tail.startOffset}\nretry: 1000\n\n`));
        void pump(stream);
      },
      pull() {
        drained?.();
      },
      cancel() {
        end();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: limits.bufferBytes }),
  );
}
