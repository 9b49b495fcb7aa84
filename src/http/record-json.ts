import type { RecordHeader, StoredRecord } from "../broker/types.ts";

/**
 * Records as JSON text, built by hand: a batch read of thousands of records is
 * dominated by encoding, and concatenating known fields is cheaper than building an
 * object per record for JSON.stringify. Strings still go through JSON.stringify for
 * exact escaping.
 */
const decoder = new TextDecoder();

export function recordJson(r: StoredRecord): string {
  const key = r.key === null ? "null" : JSON.stringify(decoder.decode(r.key));
  const headers = r.headers.length === 0 ? "{}" : headersJson(r.headers);
  return `{"offset":${r.offset},"key":${key},"message":${JSON.stringify(decoder.decode(r.value))},"headers":${headers},"timestamp":${r.timestamp}}`;
}

export function recordsJson(records: readonly StoredRecord[]): string {
  if (records.length === 0) return "[]";
  let out = "[" + recordJson(records[0]);
  for (let i = 1; i < records.length; i++) out += "," + recordJson(records[i]);
  return out + "]";
}

/** Duplicate header names (possible from other producers): the last one wins. */
function headersJson(headers: readonly RecordHeader[]): string {
  const map: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const h of headers) map[h.key] = h.value === null ? "" : decoder.decode(h.value);
  return JSON.stringify(map);
}

export function messageText(r: StoredRecord): string {
  return decoder.decode(r.value);
}
