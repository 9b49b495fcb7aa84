/**
 * What the broker's thread (the owner of every partition log) and its HTTP worker
 * threads tell each other. Kept small and flat: each message is copied by structured
 * clone, and a worker sends the requests of one turn of its event loop together, since
 * a message costs about as much as the work it carries (measured on this machine:
 * ~13 µs of CPU per round trip alone, ~4-6 µs per request in batches of 4-16).
 */

/** Owner -> worker, once: where to listen and where everything else is sent. */
export interface WorkerStart {
  type: "start";
  /** 1..N; the owner is thread 0. */
  thread: number;
  host: string;
  port: number;
  /** The owner's private socket that answers every request the worker does not. */
  ownerSocket: string;
  maxBodyBytes: number;
  idleTimeoutS: number;
}

/** A single-message read, as GET /consume?topic&partition&offset asks it. */
export interface ConsumeCall {
  i: number;
  t: string;
  p: number;
  o: number;
}

/** A single-message produce, its record already encoded (key and value as UTF-8). */
export interface ProduceCall {
  i: number;
  t: string;
  /** Explicit partition, or -1 for the core's choice (key hash, else round robin). */
  p: number;
  k: Uint8Array | null;
  v: Uint8Array;
}

export type Call = ConsumeCall | ProduceCall;

export function isProduceCall(call: Call): call is ProduceCall {
  return (call as ProduceCall).v !== undefined;
}

/**
 * The owner's answer to one call. Status 200 with `o` and `m` (a read) or `o` and `p`
 * (a produce); 204 for nothing at the offset; any other status carries the error body
 * exactly as the route's error mapping writes it.
 */
export interface Answer {
  i: number;
  s: number;
  o?: number;
  p?: number;
  /** The record's message: its text, or null for a tombstone (a null value). */
  m?: string | null;
  b?: string;
}

export type WorkerToOwner =
  | { type: "listening" }
  | { type: "failed"; message: string }
  | { type: "calls"; calls: Call[] }
  /** Requests this worker has answered (fast or passed on), for the per-thread metric. */
  | { type: "served"; requests: number };

export type OwnerToWorker = WorkerStart | { type: "answers"; answers: Answer[] } | { type: "stop" };
