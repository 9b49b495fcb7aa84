/**
 * One short binary exchange with a peer over Bun's native fetch, for the hottest call
 * between brokers: a follower's replica fetch, paid on every acks=all produce. Measured
 * on this machine against node:http (peer-http.ts) with a keep-alive agent, for a
 * 130 kB answer: 0.18 ms of CPU per call instead of 0.4–0.7, and ~0.2 ms wall instead of
 * 0.9–2.2 (node:http parses the answer in JavaScript streams, fetch natively).
 *
 * fetch runs at most BUN_CONFIG_MAX_HTTP_REQUESTS (256) requests at once per process and
 * queues the rest (peer-http.ts), and every followed partition holds a long-polling
 * fetch: so at most FETCH_CALLS_MAX of them go this way at once, the others over
 * node:http as before. Nothing else in a broker uses fetch, so none waits behind them.
 */

/** Exchanges over fetch at once in this process; past it, calls go over node:http. */
export const FETCH_CALLS_MAX = 128;

let inFlight = 0;

/** Whether a call may go over fetch now (the caller then must use fetchExchange). */
export function fetchSlotFree(): boolean {
  return inFlight < FETCH_CALLS_MAX;
}

export interface FetchAnswer {
  status: number;
  bytes: Uint8Array;
  header: (name: string) => string | null;
}

/**
 * POSTs (or sends `method`) `body` to http://address/path and reads the whole answer,
 * within `signal` (the caller's abort and its timeout together). Throws what fetch
 * throws: the caller tells a timeout from a refusal.
 */
export async function fetchExchange(
  address: string,
  request: { method: string; path: string; headers: Record<string, string>; body: Uint8Array | undefined },
  signal: AbortSignal,
): Promise<FetchAnswer> {
  inFlight++;
  try {
    const res = await fetch(`http://${address}${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal,
      redirect: "manual",
      // Answers between brokers are never compressed; nothing to undo.
      decompress: false,
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, bytes, header: (name) => res.headers.get(name) };
  } finally {
    inFlight--;
  }
}
