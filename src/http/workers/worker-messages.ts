/**
 * What the broker's thread (the owner of every partition log) and its HTTP worker
 * threads tell each other. Kept small and flat: each message is copied by structured
 * clone, and a worker sends the requests of one turn of its event loop together, since
 * a message costs about as much as the work it carries (measured on this machine:
 * ~13 µs of CPU per round trip alone, ~4-6 µs per request in batches of 4-16).
 */

/** Bun.serve's TLS options, as the owner would listen with them (server.ts bunTls). */
export interface WorkerTls {
  cert: string;
  key: string;
  ca?: string;
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
}

/** Owner -> worker, once: where to listen and where everything else is sent. */
export interface WorkerStart {
  type: "start";
  /** 1..N; the owner is thread 0. */
  thread: number;
  host: string;
  port: number;
  /** Other names the broker is reached by (its advertised host:port), for the Host check (host-check.ts). */
  names: string[];
  /** Check the Host's name beyond loopback too (host-check.ts). */
  namesBeyondLoopback: boolean;
  /** The owner's private socket that answers every request the worker does not. */
  ownerSocket: string;
  maxBodyBytes: number;
  idleTimeoutS: number;
  /** HTTPS with the broker's certificate (mutual TLS with a CA); absent: plaintext. */
  tls?: WorkerTls;
}

/** A single-message read, as GET /consume?topic&partition&offset asks it. */
export interface ConsumeCall {
  i: number;
  /** The request's Authorization header, for the owner's token check (--auth=token); null: none sent. */
  a: string | null;
  t: string;
  p: number;
  o: number;
}

/** A single-message produce, its record already encoded (key and value as UTF-8). */
export interface ProduceCall {
  i: number;
  a: string | null;
  t: string;
  /** Explicit partition, or -1 for the core's choice (key hash, else round robin). */
  p: number;
  k: Uint8Array | null;
  v: Uint8Array;
  /** The request's acks ("all" or "1"); absent: the broker's default. */
  c?: "all" | "1";
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
  /** A 401's `WWW-Authenticate` challenge (RFC 6750), as the owner's guard sends it. */
  w?: string;
}

export type WorkerToOwner =
  | { type: "listening" }
  | { type: "failed"; message: string }
  | { type: "calls"; calls: Call[] }
  /** Reload `n` (OwnerToWorker "tls") is in use, or failed (the worker serves on with what it had). */
  | { type: "reloaded"; n: number }
  | { type: "reload-failed"; n: number; message: string }
  /** Requests this worker has answered (fast or passed on), for the per-thread metric. */
  | { type: "served"; requests: number };

export type OwnerToWorker =
  | WorkerStart
  | { type: "answers"; answers: Answer[] }
  /** New TLS material (SIGHUP): new connections use it; the worker says "reloaded" once it listens with it. */
  | { type: "tls"; tls: WorkerTls; n: number }
  | { type: "stop" };
