import { failureFromAnswer, failureFromException, type ApiFailure, noteUnauthorized, readToken, requestHeaders } from "../api.ts";
import { SseParser } from "../sse-parser.ts";
import type { ConsoleRecord } from "../types.ts";

/**
 * Follows a partition's server-sent events (…/records/stream) with fetch, so the
 * token can be sent as a header (EventSource cannot). Reconnects after a drop from the
 * offset after the last record seen, as EventSource's Last-Event-ID would.
 */
export interface TailHandlers {
  onRecords: (records: ConsoleRecord[]) => void;
  onState: (state: { connected: boolean; error: ApiFailure | null }) => void;
}

export function tail(topic: string, partition: number, fromOffset: number | null, handlers: TailHandlers): () => void {
  const controller = new AbortController();
  let next = fromOffset;
  const run = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      const query = next === null ? "" : `?offset=${next}`;
      const token = readToken();
      try {
        const res = await fetch(`/topics/${encodeURIComponent(topic)}/partitions/${partition}/records/stream${query}`, {
          headers: { ...requestHeaders(token, false), accept: "text/event-stream" },
          signal: controller.signal,
        });
        if (!res.ok || res.body === null) {
          const failure = failureFromAnswer(res.status, await res.text());
          handlers.onState({ connected: false, error: failure });
          if (res.status === 401) noteUnauthorized(failure, token);
          // a refusal (unknown topic, bad partition) will not change by retrying at once
          await sleep(res.status >= 500 ? 1000 : 5000, controller.signal);
          continue;
        }
        handlers.onState({ connected: true, error: null });
        const parser = new SseParser();
        const decoder = new TextDecoder();
        const reader = res.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          const batch: ConsoleRecord[] = [];
          for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
            if (ev.event === "record") {
              const record = JSON.parse(ev.data) as ConsoleRecord;
              batch.push(record);
              next = record.offset + 1;
            } else if (ev.event === "error") {
              // A reader that fell behind is told where to resume (http/sse.ts): reconnect there quietly.
              const resume = resumeOffset(ev.data);
              if (resume !== undefined) next = resume;
              else handlers.onState({ connected: false, error: failureFromAnswer(503, ev.data) });
            }
          }
          if (batch.length > 0) handlers.onRecords(batch);
        }
        handlers.onState({ connected: false, error: null });
      } catch (error) {
        if (controller.signal.aborted) return;
        handlers.onState({ connected: false, error: failureFromException(error) });
      }
      await sleep(1000, controller.signal);
    }
  };
  void run();
  return () => controller.abort();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function resumeOffset(data: string): number | undefined {
  try {
    const body = JSON.parse(data) as { error?: unknown; details?: { resume_offset?: unknown } };
    const offset = body.details?.resume_offset;
    return body.error === "REQUEST_TIMED_OUT" && typeof offset === "number" && Number.isSafeInteger(offset) ? offset : undefined;
  } catch {
    return undefined;
  }
}
