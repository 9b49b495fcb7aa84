import { StreamNestError } from "../lib/errors.ts";
import type { StoredRecord } from "../broker/types.ts";
import type { Tail } from "../broker/types.ts";
import { recordJson } from "./record-json.ts";
import { HTTP_LIMITS } from "../config/http.ts";

/**
 * Server-sent events (WHATWG HTML, "Server-sent events"): one `record` event per
 * record, its offset as the event id, so a client that reconnects with Last-Event-ID
 * resumes after it. A comment line every HEARTBEAT_MS keeps proxies from closing an
 * idle stream and lets the server notice a client that vanished.
 */
export const HEARTBEAT_MS = HTTP_LIMITS.sseHeartbeatMs.value;
const encoder = new TextEncoder();

export function sseEvents(records: readonly StoredRecord[]): Uint8Array {
  let text = "";
  for (const r of records) text += `id: ${r.offset}\nevent: record\ndata: ${recordJson(r)}\n\n`;
  return encoder.encode(text);
}

type Step = { ok: true; result: IteratorResult<StoredRecord[]> } | { ok: false; error: unknown };

/**
 * A stream over a tail. The tail ends (and frees its listener) when the client goes
 * away: the stream is cancelled, which aborts `controller`.
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
): ReadableStream<Uint8Array> {
  const iterator = tail.records[Symbol.asyncIterator]();
  let asked = false;
  let step: Step | undefined;
  let wake: (() => void) | undefined;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    controller.abort();
    tail.close();
    void iterator.return?.(undefined);
    onEnd();
  };
  const settle = (next: Step): void => {
    step = next;
    wake?.();
  };
  return new ReadableStream<Uint8Array>(
    {
      start(stream) {
        stream.enqueue(encoder.encode(`: streaming from offset ${tail.startOffset}\nretry: 1000\n\n`));
      },
      async pull(stream) {
        if (!asked) {
          asked = true;
          iterator.next().then(
            (result) => settle({ ok: true, result }),
            (error: unknown) => settle({ ok: false, error }),
          );
        }
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
        const next = step;
        if (next === undefined) {
          stream.enqueue(encoder.encode(": heartbeat\n\n"));
          return;
        }
        step = undefined;
        asked = false;
        if (!next.ok) {
          const error = next.error;
          const body =
            error instanceof StreamNestError
              ? error.toJSON()
              : { error: "INTERNAL_ERROR", message: error instanceof Error ? error.message : String(error) };
          stream.enqueue(encoder.encode(`event: error\ndata: ${JSON.stringify(body)}\n\n`));
          end();
          stream.close();
          return;
        }
        if (next.result.done) {
          end();
          stream.close();
          return;
        }
        stream.enqueue(sseEvents(next.result.value));
      },
      cancel() {
        end();
      },
    },
    { highWaterMark: 0 },
  );
}
