import type { StoredRecord } from "../broker/types.ts";
import { recordJson } from "./record-json.ts";

const encoder = new TextEncoder();

/**
 * A batch's `record` events, encoded once however many streams send it: the live tail
 * hands every reader of a partition the same batch array (broker/shared-tail-reads.ts),
 * so the bytes are kept by that identity and freed with it. 500 readers of one 10 MB
 * batch once held 500 encodings of it.
 */
const encoded = new WeakMap<readonly StoredRecord[], Uint8Array>();

export function sseEvents(records: readonly StoredRecord[]): Uint8Array {
  const hit = encoded.get(records);
  if (hit !== undefined) return hit;
  let text = "";
  for (const r of records) text += `id: ${r.offset}\nevent: record\ndata: ${recordJson(r)}\n\n`;
  const bytes = encoder.encode(text);
  encoded.set(records, bytes);
  return bytes;
}
