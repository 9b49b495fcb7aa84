import type { FetchResult, ProduceFailure, ProduceOutcome, ProduceRecord, RecordHeader, StoredRecord } from "../broker/types.ts";
import { StreamNestError } from "../lib/errors.ts";

/**
 * The wire form of partition calls forwarded between brokers (/internal/partitions/…).
 * Stored record bytes travel as base64, so keys, values and headers arrive byte for
 * byte whatever they contain; everything else is the broker's own types as JSON.
 *
 * A produced message travels as text when its bytes are UTF-8 (all of them, from the
 * HTTP adapter), so a forwarded request is no larger than the client's own and fits the
 * leader's body limit (see CLUSTER_LIMITS.forwardedCallOverheadBytes); else as base64.
 */

export interface WireMessage {
  /** null: a tombstone (no value). */
  message: string | null;
  key?: string | null;
  headers?: Array<{ key: string; value: string | null }>;
  /** Set by the receiver: the call's partition. */
  partition?: number;
  /** message, key and header values are base64 (bytes that are not UTF-8). */
  base64?: boolean;
  /** Absent: "all". */
  acks?: "1" | "0";
}

export interface ProduceCall {
  topic: string;
  partition: number;
  messages: WireMessage[];
}

export interface ProduceAnswer {
  outcomes: ProduceOutcome[];
}

/** Produce calls to one leader that arrived together, sent as one request. */
export interface ProduceBatchCall {
  calls: ProduceCall[];
}

/** One answer per call, in order: its outcomes, or why the whole call failed (e.g. topic gone). */
export interface ProduceBatchAnswer {
  results: Array<ProduceAnswer | ProduceFailure>;
}

export interface FetchCall {
  topic: string;
  partition: number;
  offset: number;
  maxRecords?: number;
  maxBytes?: number;
  timeoutMs?: number;
  /** Read without counting the records as consumed (the core's `peek`: an HTTP HEAD). */
  uncounted?: boolean;
}

export interface WireRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Array<{ key: string; value: string | null }>;
}

export interface FetchAnswer {
  records: WireRecord[];
  nextOffset: number;
  startOffset: number;
  endOffset: number;
}

/** The first line of a forwarded tail; each following line is a TailBatch, the last may be a TailError. */
export interface TailStart {
  startOffset: number;
}

export interface TailBatch {
  records: WireRecord[];
}

/** Why the leader ended a forwarded tail (e.g. TOPIC_NOT_FOUND: the topic was deleted). */
export interface TailError {
  error: string;
  message: string;
  details?: unknown;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
const unb64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "base64"));

export function encodeRecord(r: StoredRecord): WireRecord {
  return {
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key === null ? null : b64(r.key),
    value: r.value === null ? null : b64(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : b64(h.value) })),
  };
}

export function decodeRecord(w: WireRecord): StoredRecord {
  return {
    offset: w.offset,
    timestamp: w.timestamp,
    key: w.key === null ? null : unb64(w.key),
    value: w.value === null ? null : unb64(w.value),
    headers: w.headers.map((h) => ({ key: h.key, value: h.value === null ? null : unb64(h.value) })),
  };
}

export function encodeFetch(result: FetchResult): FetchAnswer {
  return {
    records: result.records.map(encodeRecord),
    nextOffset: result.nextOffset,
    startOffset: result.startOffset,
    endOffset: result.endOffset,
  };
}

export function decodeFetch(answer: FetchAnswer): FetchResult {
  if (!answer || !Array.isArray(answer.records)) throw malformed("fetch");
  return {
    records: answer.records.map(decodeRecord),
    nextOffset: answer.nextOffset,
    startOffset: answer.startOffset,
    endOffset: answer.endOffset,
  };
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

class NotText extends Error {}

function text(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new NotText();
  }
}

/** A record to produce, as the wire carries it: text when it is UTF-8, else base64. */
export function encodeProduceRecord(r: ProduceRecord): WireMessage {
  try {
    const m: WireMessage = { message: r.value === null ? null : text(r.value) };
    if (r.acks === "1" || r.acks === "0") m.acks = r.acks;
    if (r.key !== null) m.key = text(r.key);
    if (r.headers.length > 0) m.headers = r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : text(h.value) }));
    return m;
  } catch (error) {
    if (!(error instanceof NotText)) throw error;
    const m: WireMessage = { message: r.value === null ? null : b64(r.value), base64: true };
    if (r.acks === "1" || r.acks === "0") m.acks = r.acks;
    if (r.key !== null) m.key = b64(r.key);
    if (r.headers.length > 0) m.headers = r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : b64(h.value) }));
    return m;
  }
}

/** The record a forwarded message carries; INVALID_REQUEST if it is not one. */
export function decodeProduceMessage(m: WireMessage, partition: number): ProduceRecord {
  const bad = (): StreamNestError => new StreamNestError("INVALID_REQUEST", "a forwarded message needs message as a string or null, key as a string or null, headers as a list");
  if (typeof m !== "object" || m === null || (m.message !== null && typeof m.message !== "string")) throw bad();
  if (m.key !== undefined && m.key !== null && typeof m.key !== "string") throw bad();
  if (m.headers !== undefined && !Array.isArray(m.headers)) throw bad();
  const bytes = m.base64 === true ? unb64 : (t: string): Uint8Array => encoder.encode(t);
  const headers: RecordHeader[] = [];
  for (const h of m.headers ?? []) {
    if (typeof h !== "object" || h === null || typeof h.key !== "string" || (h.value !== null && typeof h.value !== "string")) throw bad();
    headers.push({ key: h.key, value: h.value === null ? null : bytes(h.value) });
  }
  const record: ProduceRecord = { key: typeof m.key === "string" ? bytes(m.key) : null, value: m.message === null ? null : bytes(m.message), headers, partition };
  if (m.acks === "1" || m.acks === "0") record.acks = m.acks;
  return record;
}

export function malformed(what: string): StreamNestError {
  return new StreamNestError("INTERNAL_ERROR", `the leader's answer to a forwarded ${what} is malformed`);
}

function object(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new StreamNestError("INVALID_REQUEST", "expected a JSON object");
  return value as Record<string, unknown>;
}

/** Checks a batch of forwarded produces; the broker then checks each message as it would any. */
export function parseProduceBatch(value: unknown): ProduceBatchCall {
  const v = object(value);
  if (!Array.isArray(v.calls)) throw new StreamNestError("INVALID_REQUEST", "calls must be an array");
  return { calls: v.calls.map(parseProduceCall) };
}

export function parseProduceCall(value: unknown): ProduceCall {
  const v = object(value);
  if (typeof v.topic !== "string") throw new StreamNestError("INVALID_REQUEST", "topic must be a string");
  if (typeof v.partition !== "number") throw new StreamNestError("INVALID_REQUEST", "partition must be a number");
  if (!Array.isArray(v.messages)) throw new StreamNestError("INVALID_REQUEST", "messages must be an array");
  // Every forwarded message names the partition its sender chose.
  const messages = (v.messages as WireMessage[]).map((m) =>
    m !== null && typeof m === "object" ? { ...m, partition: v.partition as number } : m,
  );
  return { topic: v.topic, partition: v.partition, messages };
}

export function parseFetchCall(value: unknown): FetchCall {
  const v = object(value);
  if (typeof v.topic !== "string") throw new StreamNestError("INVALID_REQUEST", "topic must be a string");
  const optionalNumber = (name: string): number | undefined => {
    const x = v[name];
    if (x === undefined) return undefined;
    if (typeof x !== "number") throw new StreamNestError("INVALID_REQUEST", `${name} must be a number`);
    return x;
  };
  return {
    topic: v.topic,
    partition: v.partition as number,
    offset: v.offset as number,
    maxRecords: optionalNumber("maxRecords"),
    maxBytes: optionalNumber("maxBytes"),
    timeoutMs: optionalNumber("timeoutMs"),
    uncounted: v.uncounted === true,
  };
}
