import { StreamNestError } from "../lib/errors.ts";
import type { StoredRecord } from "../broker/types.ts";
import type { Tail } from "../broker/types.ts";
import { recordJson } from "./record-json.ts";

/**
 * Server-sent events (WHATWG HTML, "Server-sent events"): one `record` event per
 * record, its offset as the event id, so a client that reconnects with Last-Event-ID
 * resumes after it. A comment line every HEARTBEAT_MS keeps proxies from closing an
 * idle stream and lets the server notice a client that vanished.
 */
export const HEARTBEAT_MS = 15_000;
const encoder = new TextEncoder();

export function sseEvents(records: readonly StoredRecord[]): Uint8Array {
  let text = "";
  for (const r of records) text += `id: ${r.offset}\nevent: record\ndata: ${recordJson(r)}\n\n`;
  return encoder.encode(text);
}

/**
 * A stream over a tail. The tail ends (and frees its listener) when the client goes
 * away: the stream is cancelled, which aborts `controller`.
 */
export function sseStream(tail: Tail, controller: AbortController, onEnd: () => void): ReadableStream<Uint8Array> {
  const iterator = tail.records[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<StoredRecord[]>> | undefined;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    controller.abort();
    tail.close();
    void iterator.return?.(undefined);
    onEnd();
  };
  return new ReadableStream<Uint8Array>(
    {
      start(stream) {
        stream.enqueue(encoder.encode(`: streaming from offset ${tail.startOffset}\nretry: 1000\n\n`));
      },
      async pull(stream) {
        pending ??= iterator.next();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const heartbeat = new Promise<"heartbeat">((resolve) => {
          timer = setTimeout(() => resolve("heartbeat"), HEARTBEAT_MS);
        });
        try {
          const next = await Promise.race([pending, heartbeat]);
          if (next === "heartbeat") {
            stream.enqueue(encoder.encode(": heartbeat\n\n"));
            return;
          }
          pending = undefined;
          if (next.done) {
            end();
            stream.close();
            return;
          }
          stream.enqueue(sseEvents(next.value));
        } catch (error) {
          const body =
            error instanceof StreamNestError
              ? error.toJSON()
              : { error: "INTERNAL_ERROR", message: error instanceof Error ? error.message : String(error) };
          stream.enqueue(encoder.encode(`event: error\ndata: ${JSON.stringify(body)}\n\n`));
          end();
          stream.close();
        } finally {
          clearTimeout(timer);
        }
      },
      cancel() {
        end();
      },
    },
    { highWaterMark: 0 },
  );
}
