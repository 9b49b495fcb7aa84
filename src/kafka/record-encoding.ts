import type { StoredRecord } from "../broker/types.ts";
import { encodeRecordBatch } from "./protocol/index.ts";

/**
 * Stored records as one Kafka record batch v2 (uncompressed, CreateTime): the key,
 * value, headers and timestamp bytes exactly as stored, at their own offsets. Offsets
 * in a read are consecutive (StreamNest's logs have no compaction), so deltas from the
 * first one describe them.
 */
export function recordsToBatch(records: readonly StoredRecord[]): Uint8Array {
  if (records.length === 0) return new Uint8Array(0);
  const base = records[0].offset;
  return encodeRecordBatch({
    baseOffset: BigInt(base),
    records: records.map((r) => ({
      key: r.key,
      value: r.value,
      headers: r.headers,
      timestamp: BigInt(r.timestamp),
      offsetDelta: r.offset - base,
    })),
  });
}
