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

/** How long a batch ready for a reader may wait for it to read (config/http.ts). */
export interface SseReaderLimits {
  stallMs: number;
}

export const DEFAULT_SSE_READER_LIMITS: SseReaderLimits = { stallMs: HTTP.sseStallMs.default };

type Step = { ok: true; result: IteratorResult<StoredRecord[]> } | { ok: false; error: unknown };

function errorEvent(body: unknown): Uint8Array {
  return encoder.encode(`event: error\ndata: ${JSON.stringify(body)}\n\n`);
}

/**
 * A stream over a tail, pulled: the server asks for the next chunk only when the
 * socket has taken the last (Bun then holds about one chunk per reader, the kernel the
 * rest; pushing into a stream's own queue instead had Bun copy all of it per socket,
 * ~5.7 MB a reader for a 10 MB batch). A reader's buffer is one batch read ahead
 * (at most CORE_LIMITS.tailBatchBytes, and the same array and encoding for every reader
 * at that offset: sse-frames.ts). A batch that waits `stallMs` without being asked
 * for means the reader fell behind: it is sent an `error` event (REQUEST_TIMED_OUT, with
 * `resume_offset` in the details) and the stream ends, so it can reconnect from there
 * rather than pin its position's batches for as long as it stays connected.
 *
 * The tail's next batch is asked for once and handled by one callback, however many
 * heartbeats pass before it comes: racing the same promise against a fresh heartbeat
 * on every pull would add a reaction to it per heartbeat, so an idle stream would grow
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
  let asked = false;
  let step: Step | undefined;
  let wake: (() => void) | undefined;
  let ended = false;
  let stream: ReadableStreamDefaultController<Uint8Array> | undefined;
  let stall: ReturnType<typeof setTimeout> | undefined;
  let next = tail.startOffset;
  const end = (): void => {
    if (ended) return;
    ended = true;
    clearTimeout(stall);
    controller.abort();
    tail.close();
    void iterator.return?.(undefined);
    onEnd();
  };
  const fellBehind = (): void => {
    if (ended || stream === undefined) return;
    const error = new StreamNestError(
      "REQUEST_TIMED_OUT",
      `the reader did not read for ${limits.stallMs} ms with records waiting; reconnect from offset ${next}`,
      { resume_offset: next },
    );
    stream.enqueue(errorEvent(error.toJSON()));
    end();
    stream.close();
  };
  const ask = (): void => {
    asked = true;
    iterator.next().then(
      (result) => settle({ ok: true, result }),
      (error: unknown) => settle({ ok: false, error }),
    );
  };
  const settle = (ready: Step): void => {
    step = ready;
    if (wake !== undefined) wake();
    // Nobody is waiting for it: the clock starts on the reader.
    else if (ready.ok && !ready.result.done && !ended) stall = setTimeout(fellBehind, limits.stallMs);
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        stream = controller;
        controller.enqueue(encoder.encode(`: streaming from offset ${tail.startOffset}\nretry: 1000\n\n`));
      },
      async pull(controller) {
        clearTimeout(stall);
        if (!asked) ask();
        if (step === undefined) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, heartbeatMs);
          });
          wake = undefined;
          clearTimeout(timer);
          // Cancelled while waiting: the stream is gone, nothing may be enqueued.
          if (ended) return;
        }
        const got = step;
        if (got === undefined) {
          controller.enqueue(encoder.encode(": heartbeat\n\n"));
          return;
        }
        step = undefined;
        asked = false;
        if (!got.ok) {
          const error = got.error;
          controller.enqueue(
            errorEvent(
              error instanceof StreamNestError
                ? error.toJSON()
                : { error: "INTERNAL_ERROR", message: error instanceof Error ? error.message : String(error) },
            ),
          );
          end();
          controller.close();
          return;
        }
        if (got.result.done) {
          end();
          controller.close();
          return;
        }
        const batch = got.result.value;
        controller.enqueue(sseEvents(batch));
        next = batch[batch.length - 1].offset + 1;
        // One batch read ahead: what a reader that stops reading would be sent next.
        ask();
      },
      cancel() {
        end();
      },
    },
    { highWaterMark: 0 },
  );
}
