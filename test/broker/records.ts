import type { ProduceRecord } from "../../src/broker/types.ts";

/**
 * Records for the core's byte API from the text the tests write: `rec({ message: "x",
 * key: "k", partition: 1, headers: { h: "v" } })`. A value that is not text is passed
 * through untouched, so a test can hand the core a wrong one.
 */
export interface TextRecord {
  message: string;
  key?: string | null;
  partition?: number;
  headers?: Record<string, string>;
  acks?: ProduceRecord["acks"];
}

const encoder = new TextEncoder();

export function rec(m: TextRecord): ProduceRecord {
  const record: ProduceRecord = {
    key: typeof m.key === "string" ? encoder.encode(m.key) : null,
    value: typeof m.message === "string" ? encoder.encode(m.message) : (m.message as unknown as Uint8Array),
    headers: Object.entries(m.headers ?? {}).map(([key, value]) => ({ key, value: encoder.encode(value) })),
  };
  if (m.partition !== undefined) record.partition = m.partition;
  if (m.acks !== undefined) record.acks = m.acks;
  return record;
}

export function recs(messages: readonly TextRecord[]): ProduceRecord[] {
  return messages.map(rec);
}
