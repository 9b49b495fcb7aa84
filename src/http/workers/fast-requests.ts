import { toProduceRecord } from "../produce-records.ts";
import { StreamNestError } from "../../lib/errors.ts";

/**
 * The requests a worker thread answers without the owner's HTTP stack: the plainest
 * GET /consume and single-message POST /produce, the two that a busy broker serves most.
 * Anything else, or anything about them that is not plain (a field twice, a number
 * written another way, an extra field, a topic that needs percent-decoding, a message
 * that is not well-formed UTF-16), is passed on whole to the owner, whose routes answer
 * it (errors included) exactly as a broker with one thread does.
 */

/** A topic name that needs no decoding and is valid (Kafka's rule, lib/topic-name). */
const PLAIN_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;
/** Plain decimal, short enough to be a safe integer. */
const PLAIN_NUMBER = /^(0|[1-9][0-9]{0,14})$/;

export interface ConsumeAsk {
  topic: string;
  partition: number;
  offset: number;
}

/** `?topic=t&partition=p&offset=o` in any order, each once, nothing else; else undefined. */
export function plainConsume(search: string): ConsumeAsk | undefined {
  if (search.length < 2 || search.length > 300) return undefined;
  let topic: string | undefined;
  let partition: number | undefined;
  let offset: number | undefined;
  for (const pair of search.slice(1).split("&")) {
    const eq = pair.indexOf("=");
    if (eq < 0) return undefined;
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (name === "topic" && topic === undefined && PLAIN_TOPIC.test(value) && value !== "." && value !== "..") topic = value;
    else if (name === "partition" && partition === undefined && PLAIN_NUMBER.test(value)) partition = Number(value);
    else if (name === "offset" && offset === undefined && PLAIN_NUMBER.test(value)) offset = Number(value);
    else return undefined;
  }
  if (topic === undefined || partition === undefined || offset === undefined) return undefined;
  return { topic, partition, offset };
}

export interface ProduceAsk {
  topic: string;
  partition: number;
  key: Uint8Array | null;
  value: Uint8Array;
}

const BATCH_FIELD = '"messages"';

/** Whether a produce body may be a batch: such a body is passed on unparsed (parsing it here would only be done again there). */
export function mayBeBatch(body: Uint8Array): boolean {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).includes(BATCH_FIELD);
}

const PRODUCE_FIELDS = new Set(["topic", "message", "key", "partition"]);
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * `{"topic","message","key"?,"partition"?}` as UTF-8 JSON, the topic a client may write
 * to; else undefined. Decoding is fatal here: a body that is not UTF-8 goes to the owner,
 * whose parser names the first bad byte.
 */
export function plainProduce(body: Uint8Array): ProduceAsk | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(body));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const fields = parsed as Record<string, unknown>;
  for (const name in fields) if (!PRODUCE_FIELDS.has(name)) return undefined;
  const { topic, message, key, partition } = fields;
  if (typeof topic !== "string" || !PLAIN_TOPIC.test(topic) || topic.startsWith("__") || topic === "." || topic === "..") return undefined;
  if (typeof message !== "string") return undefined;
  if (key !== undefined && typeof key !== "string") return undefined;
  if (partition !== undefined && !(typeof partition === "number" && Number.isSafeInteger(partition) && partition >= 0)) return undefined;
  try {
    const record = toProduceRecord({ message, key });
    // A string message always has a value; the null one (a tombstone) takes the owner's route.
    if (record.value === null) return undefined;
    return { topic, partition: partition ?? -1, key: record.key, value: record.value };
  } catch (error) {
    if (error instanceof StreamNestError) return undefined;
    throw error;
  }
}
