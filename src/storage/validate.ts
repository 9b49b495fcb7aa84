/** Input checks of the log: every problem is a typed error raised before anything is written. */
import { StreamNestError } from "../lib/errors.ts";
import type { LogOptions, ReadOptions, RecordInput } from "./types.ts";

export function validateRecord(record: RecordInput, index: number): void {
  const bad = (what: string): never => {
    throw new StreamNestError("INVALID_REQUEST", `record ${index}: ${what}`);
  };
  if (typeof record !== "object" || record === null) bad("is not an object");
  if (record.value !== null && !(record.value instanceof Uint8Array)) bad("value must be bytes (Uint8Array) or null");
  if (record.key !== null && !(record.key instanceof Uint8Array)) bad("key must be bytes (Uint8Array) or null");
  if (typeof record.timestamp !== "number" || !Number.isSafeInteger(record.timestamp)) {
    bad(`timestamp must be an integer number of milliseconds, got ${String(record.timestamp)}`);
  }
  if (!Array.isArray(record.headers)) bad("headers must be an array");
  for (let h = 0; h < record.headers.length; h++) {
    const header = record.headers[h];
    if (typeof header !== "object" || header === null || typeof header.key !== "string") {
      bad(`header ${h} needs a string key`);
    }
    if (header.value !== null && !(header.value instanceof Uint8Array)) {
      bad(`header ${h} value must be bytes (Uint8Array) or null`);
    }
  }
}

/** The offset and budget of a read (PartitionLog.read). */
export function validateReadBudget(offset: number, maxRecords: number, maxBytes: number): void {
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
    throw new StreamNestError("INVALID_OFFSET", `offset must be a non-negative integer, got ${String(offset)}`);
  }
  if (typeof maxRecords !== "number" || !(Number.isSafeInteger(maxRecords) || maxRecords === Infinity) || maxRecords < 1) {
    throw new StreamNestError("INVALID_REQUEST", `max records must be an integer of at least 1, got ${String(maxRecords)}`);
  }
  if (typeof maxBytes !== "number" || Number.isNaN(maxBytes) || maxBytes < 1) {
    throw new StreamNestError("INVALID_REQUEST", `max bytes must be at least 1, got ${String(maxBytes)}`);
  }
}

/** How far a read goes: the high watermark unless told the log end. */
export function validateUpTo(upTo: ReadOptions["upTo"]): "high-watermark" | "log-end" {
  const value = upTo ?? "high-watermark";
  if (value !== "high-watermark" && value !== "log-end") {
    throw new StreamNestError("INVALID_REQUEST", `a read goes up to the high-watermark or the log-end, got ${String(value)}`);
  }
  return value;
}

/** An offset given by code (the core asserts, the adapters validate user input). */
export function validateOffset(offset: number, what: string): void {
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
    throw new StreamNestError("INVALID_OFFSET", `${what} must be a non-negative integer, got ${String(offset)}`);
  }
}

export function validateLogOptions(options: LogOptions): void {
  const bad = (what: string): never => {
    throw new StreamNestError("INVALID_REQUEST", `log options: ${what}`);
  };
  const positiveInteger = (value: unknown): boolean =>
    typeof value === "number" && Number.isSafeInteger(value) && value > 0;
  if (!positiveInteger(options.segmentBytes)) bad("segmentBytes must be a positive integer");
  if (options.fsync !== "always" && options.fsync !== "interval" && options.fsync !== "never") {
    bad(`fsync must be always, interval or never, got ${String(options.fsync)}`);
  }
  if (!positiveInteger(options.fsyncIntervalMs)) bad("fsyncIntervalMs must be a positive integer");
  if (!positiveInteger(options.maxRecordBytes)) bad("maxRecordBytes must be a positive integer");
  if (options.highWatermark !== "log-end" && options.highWatermark !== "explicit") {
    bad(`highWatermark must be log-end or explicit, got ${String(options.highWatermark)}`);
  }
  if (!positiveInteger(options.highWatermarkCheckpointMs)) bad("highWatermarkCheckpointMs must be a positive integer");
  if (options.retentionMs !== undefined && !(typeof options.retentionMs === "number" && options.retentionMs >= 0)) {
    bad("retentionMs must be a non-negative number");
  }
  if (options.retentionBytes !== undefined && !(typeof options.retentionBytes === "number" && options.retentionBytes >= 0)) {
    bad("retentionBytes must be a non-negative number");
  }
}
