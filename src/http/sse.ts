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

/** Most bytes of a batch handed to the server in one pull (see sseStream). */
const SLICE_BYTES = 16 * 1024;

/**
 * Where the slice of `bytes` to send next ends: after the last whole event (its blank
 * line, "\n\n") within SLICE_BYTES, so that a chunk holds whole events where they fit
 * (JSON data has no raw newline); an event longer than that is cut at SLICE_BYTES, on a
 * UTF-8 character's first byte. A reader's stream is bytes (EventSource and every parser
 * here join chunks): sending a long event whole let Bun hold all of it for each reader
 * that stopped reading (300 stalled readers of 900 KB records took a broker from 89 MB
 * to 1.9 GB, found by a tester).
 */
function sliceEnd(bytes: Uint8Array): number {
  if (bytes.length <= SLICE_BYTES) return bytes.length;
  for (let i = bytes.lastIndexOf(10, SLICE_BYTES - 1); i > 0; i = bytes.lastIndexOf(10, i - 1))
    if (bytes[i - 1] === 10) return i + 1;
  let cut = SLICE_BYTES;
  // Never inside a character: 10xxxxxx bytes continue one.
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  return cut;
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
 * A batch is handed over in slices of SLICE_BYTES (views of the shared bytes, no copy):
 * what Bun holds for a slow reader is then at most one slice, whatever the socket's
 * buffer (a broker's HTTP workers pass streams on over Unix sockets, whose small send
 * buffer left Bun holding ~0.8 MB of every stalled reader's 1 MB batch). While a reader
 * is between slices with the next batch waiting, the stall clock runs from its last pull.
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
  /** Throws the error that ends the stream when its reader may no longer read (a revoked token, a READ taken away). */
  authorized?: () => void,
): ReadableStream<Uint8Array> {
  const iterator = tail.records[Symbol.asyncIterator]();
  let asked = false;
  let step: Step | undefined;
  let wake: (() => void) | undefined;
  let ended = false;
  let stream: ReadableStreamDefaultController<Uint8Array> | undefined;
  let stall: ReturnType<typeof setTimeout> | undefined;
  let next = tail.startOffset;
  /** What is left to send of the batch being sent. */
  let rest: Uint8Array | undefined;
  const end = (): void => {
    if (ended) return;
    ended = true;
    rest = undefined;
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
    // The batch begun is sent whole before the error, so that resume_offset follows it.
    if (rest !== undefined) stream.enqueue(rest);
    stream.enqueue(errorEvent(error.toJSON()));
    end();
    stream.close();
  };
  const waiting = (): boolean => step !== undefined && step.ok && !step.result.done && !ended;
  const sendSlice = (to: ReadableStreamDefaultController<Uint8Array>): void => {
    const bytes = rest as Uint8Array;
    const cut = sliceEnd(bytes);
    rest = cut < bytes.length ? bytes.subarray(cut) : undefined;
    to.enqueue(cut < bytes.length ? bytes.subarray(0, cut) : bytes);
    if (waiting()) {
      clearTimeout(stall);
      stall = setTimeout(fellBehind, limits.stallMs);
    }
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
    else if (ready.ok && !ready.result.done && !ended) {
      clearTimeout(stall);
      stall = setTimeout(fellBehind, limits.stallMs);
    }
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        stream = controller;
        controller.enqueue(encoder.encode(`: streaming from offset ${tail.startOffset}\nretry: 1000\n\n`));
      },
      async pull(controller) {
        clearTimeout(stall);
        if (rest !== undefined) return sendSlice(controller);
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
        // Before anything more is sent, records or a heartbeat, so a reader refused now
        // gets nothing further and an idle one learns within a heartbeat.
        if (authorized !== undefined) {
          try {
            authorized();
          } catch (error) {
            controller.enqueue(errorEvent(error instanceof StreamNestError ? error.toJSON() : { error: "INTERNAL_ERROR", message: String(error) }));
            end();
            controller.close();
            return;
          }
        }
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
                ? resumable(error, next)
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
        rest = sseEvents(batch);
        next = batch[batch.length - 1].offset + 1;
        // One batch read ahead: what a reader that stops reading would be sent next.
        ask();
        sendSlice(controller);
      },
      cancel() {
        end();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A stream ended by an error the reader may retry (its partition's leader went away, the
 * leader broke the stream off) says where to read again, as the stall error does: the
 * offset after the last record sent (`details.resume_offset`).
 */
function resumable(error: StreamNestError, next: number): ReturnType<StreamNestError["toJSON"]> {
  const json = error.toJSON();
  if (!error.retriable) return json;
  const details = typeof json.details === "object" && json.details !== null ? json.details : {};
  return { ...json, details: { ...details, resume_offset: next } };
}
