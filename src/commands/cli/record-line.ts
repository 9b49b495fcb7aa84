import type { RecordView } from "../../client/index.ts";

export type RecordFormat = "text" | "json";

/**
 * One consumed record as the consumer prints it: the seed's `[Offset N] message` (with
 * the partition in front when several partitions are followed), or one JSON object a line.
 */
export function recordLine(
  topic: string,
  partition: number,
  record: RecordView,
  format: RecordFormat,
  labelPartitions: boolean,
): string {
  if (format === "json")
    return `${JSON.stringify({
      topic,
      partition,
      offset: record.offset,
      key: record.key,
      message: record.message,
      headers: record.headers,
      timestamp: record.timestamp,
    })}\n`;
  const label = labelPartitions ? `[Partition ${partition}] ` : "";
  // A tombstone prints nothing after the offset, as kcat prints a null value; the JSON
  // format tells it from "" (message null).
  return `${label}[Offset ${record.offset}] ${record.message ?? ""}\n`;
}
