import { StreamNestError } from "../../lib/errors.ts";
import type { RecordHeader, StoredRecord } from "../../storage/types.ts";
import type { EpochRun, FetchVerdict, ReplicaFetch } from "./types.ts";

/**
 * The binary framing of /internal/replication/fetch (replication must not pay for
 * base64 and JSON on every record): a frame is a 4-byte length and a small JSON head,
 * then, in an answer, the records back to back, each as timestamp (f64), key (i32
 * length, -1 for null, bytes), value (i32 length, -1 for null: a tombstone, bytes), header count (u16) and per
 * header its name (u16 length, UTF-8) and value (i32 length, -1 for null, bytes). Offsets
 * are implied: the records are consecutive from the head's `firstOffset`.
 */

export interface FetchRequestHead extends ReplicaFetch {
  topic: string;
  topicId: string;
  partition: number;
  /** Longest the leader may hold the fetch when there is nothing new. */
  maxWaitMs: number;
}

export type FetchAnswerVerdict = FetchVerdict | { kind: "not-leader"; leaderEpoch: number };

export interface FetchAnswerHead {
  verdict: FetchAnswerVerdict;
  highWatermark: number;
  logStartOffset: number;
  firstOffset: number;
  count: number;
  /** The leader epochs the records were written in (each run with its first offset). */
  runs: EpochRun[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeFetchRequest(head: FetchRequestHead): Uint8Array {
  return frame(head, []);
}

export function decodeFetchRequest(bytes: Uint8Array): FetchRequestHead {
  const { head } = unframe(bytes);
  const h = head as Partial<FetchRequestHead>;
  const int = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);
  if (
    typeof h.topic !== "string" ||
    typeof h.topicId !== "string" ||
    !int(h.partition) ||
    !int(h.replica) ||
    !int(h.fetchOffset) ||
    !(h.lastFetchedEpoch === null || int(h.lastFetchedEpoch)) ||
    !int(h.leaderEpoch) ||
    !int(h.maxWaitMs)
  )
    throw new StreamNestError("INVALID_REQUEST", "malformed replica fetch");
  return h as FetchRequestHead;
}

export function encodeFetchAnswer(head: Omit<FetchAnswerHead, "count" | "firstOffset">, records: readonly StoredRecord[]): Uint8Array {
  const full: FetchAnswerHead = { ...head, firstOffset: records[0]?.offset ?? 0, count: records.length };
  const parts: Uint8Array[] = [];
  for (const r of records) {
    const fixed = new DataView(new ArrayBuffer(8));
    fixed.setFloat64(0, r.timestamp);
    parts.push(new Uint8Array(fixed.buffer), bytesField(r.key), bytesField(r.value), u16(r.headers.length));
    for (const h of r.headers) {
      const name = encoder.encode(h.key);
      parts.push(u16(name.length), name, bytesField(h.value));
    }
  }
  return frame(full, parts);
}

export function decodeFetchAnswer(bytes: Uint8Array): { head: FetchAnswerHead; records: StoredRecord[] } {
  try {
    return decodeAnswer(bytes);
  } catch (error) {
    // DataView reads past the end throw a RangeError: the answer was cut short.
    if (error instanceof RangeError) throw new StreamNestError("INTERNAL_ERROR", "truncated replica fetch answer");
    throw error;
  }
}

function decodeAnswer(bytes: Uint8Array): { head: FetchAnswerHead; records: StoredRecord[] } {
  const { head, rest } = unframe(bytes);
  const h = head as FetchAnswerHead;
  if (typeof h !== "object" || h === null || typeof h.verdict !== "object" || !Array.isArray(h.runs) || typeof h.count !== "number")
    throw new StreamNestError("INTERNAL_ERROR", "malformed replica fetch answer");
  const view = new DataView(rest.buffer, rest.byteOffset, rest.byteLength);
  let at = 0;
  const take = (n: number): Uint8Array => {
    if (at + n > rest.byteLength) throw new StreamNestError("INTERNAL_ERROR", "truncated replica fetch answer");
    const out = rest.subarray(at, at + n);
    at += n;
    return out;
  };
  const field = (): Uint8Array | null => {
    const length = view.getInt32(at);
    at += 4;
    return length < 0 ? null : take(length).slice();
  };
  const records: StoredRecord[] = [];
  for (let i = 0; i < h.count; i++) {
    const timestamp = view.getFloat64(at);
    at += 8;
    const key = field();
    const value = field();
    const count = view.getUint16(at);
    at += 2;
    const headers: RecordHeader[] = [];
    for (let j = 0; j < count; j++) {
      const nameLength = view.getUint16(at);
      at += 2;
      const name = decoder.decode(take(nameLength));
      headers.push({ key: name, value: field() });
    }
    records.push({ offset: h.firstOffset + i, timestamp, key, value, headers });
  }
  return { head: h, records };
}

function frame(head: unknown, parts: Uint8Array[]): Uint8Array {
  const json = encoder.encode(JSON.stringify(head));
  let total = 4 + json.length;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, json.length);
  out.set(json, 4);
  let at = 4 + json.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function unframe(bytes: Uint8Array): { head: unknown; rest: Uint8Array } {
  if (bytes.byteLength < 4) throw new StreamNestError("INVALID_REQUEST", "replication frame too short");
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (4 + length > bytes.byteLength) throw new StreamNestError("INVALID_REQUEST", "replication frame head is cut short");
  let head: unknown;
  try {
    head = JSON.parse(decoder.decode(bytes.subarray(4, 4 + length)));
  } catch {
    throw new StreamNestError("INVALID_REQUEST", "replication frame head is not JSON");
  }
  return { head, rest: bytes.subarray(4 + length) };
}

function u16(n: number): Uint8Array {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, n);
  return out;
}

function bytesField(value: Uint8Array | null): Uint8Array {
  const length = value === null ? -1 : value.length;
  const out = new Uint8Array(4 + Math.max(0, length));
  new DataView(out.buffer).setInt32(0, length);
  if (value !== null) out.set(value, 4);
  return out;
}
