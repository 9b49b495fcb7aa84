import { toProduceRecord } from "../produce-records.ts";
import { StreamNestError } from "../../lib/errors.ts";
import { scanProduce } from "./produce-scan.ts";

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

export interface ConsumeAsk {
  topic: string;
  partition: number;
  offset: number;
}

/**
 * `?topic=t&partition=p&offset=o` in any order, each once, nothing else; else undefined.
 * Scanned in place: the two numbers are read without a substring or a regular expression.
 */
export function plainConsume(search: string): ConsumeAsk | undefined {
  const length = search.length;
  if (length < 2 || length > 300) return undefined;
  let topic: string | undefined;
  let partition = -1;
  let offset = -1;
  let at = 1;
  for (;;) {
    let end = search.indexOf("&", at);
    if (end < 0) end = length;
    const eq = search.indexOf("=", at);
    if (eq < 0 || eq > end) return undefined;
    const name = eq - at;
    if (name === 5 && topic === undefined && search.startsWith("topic", at)) {
      const value = search.slice(eq + 1, end);
      if (!PLAIN_TOPIC.test(value) || value === "." || value === "..") return undefined;
      topic = value;
    } else if (name === 9 && partition < 0 && search.startsWith("partition", at)) {
      partition = plainNumber(search, eq + 1, end);
      if (partition < 0) return undefined;
    } else if (name === 6 && offset < 0 && search.startsWith("offset", at)) {
      offset = plainNumber(search, eq + 1, end);
      if (offset < 0) return undefined;
    } else return undefined;
    if (end === length) break;
    at = end + 1;
  }
  if (topic === undefined || partition < 0 || offset < 0) return undefined;
  return { topic, partition, offset };
}

/** The plain decimal in text[from, to) (0, or 1 to 15 digits without a leading 0: a safe integer), or -1. */
function plainNumber(text: string, from: number, to: number): number {
  const digits = to - from;
  if (digits < 1 || digits > 15 || (digits > 1 && text.charCodeAt(from) === 48)) return -1;
  let value = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

export interface ProduceAsk {
  topic: string;
  partition: number;
  key: Uint8Array | null;
  value: Uint8Array;
  /** The request's `acks` when it named "all" or "1" (-1 and 1 as numbers); absent: the broker's default. */
  acks?: FastAcks;
}

/** The acks a plain produce may carry: acks=0 answers 202 without an offset, which the route does. */
export type FastAcks = "all" | "1";

const BATCH_FIELD = '"messages"';

/** Below this a body is parsed whatever it holds: looking for a batch first costs more than parsing it. */
const SMALL_BODY_BYTES = 1024;

/**
 * Whether a produce body may be a batch: such a body is passed on unparsed (parsing it
 * here would only be done again there). plainProduce refuses a small one all the same.
 */
export function mayBeBatch(body: Uint8Array): boolean {
  return body.byteLength > SMALL_BODY_BYTES && Buffer.from(body.buffer, body.byteOffset, body.byteLength).includes(BATCH_FIELD);
}

const PRODUCE_FIELDS = new Set(["topic", "message", "key", "partition", "acks"]);
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * `{"topic","message","key"?,"partition"?,"acks"?}` as UTF-8 JSON, the topic a client may
 * write to, acks "all" or "1" (or -1, 1, as Kafka numbers them); else undefined. Clients
 * that name acks on every request (most Kafka-minded ones do) would otherwise all take
 * the app's slower route. Decoding is fatal here: a body that is not UTF-8 goes to the owner,
 * whose parser names the first bad byte.
 */
export function plainProduce(body: Uint8Array): ProduceAsk | undefined {
  // Most bodies are read in place (produce-scan.ts); the others are parsed as JSON.
  const scanned = scanProduce(body);
  if (scanned === null) return parsedProduce(body);
  return plainTopic(scanned.topic) ? scanned : undefined;
}

/** plainProduce by JSON.parse: for any body; the answer scanProduce must agree with where it reads one. */
export function parsedProduce(body: Uint8Array): ProduceAsk | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(body));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const fields = parsed as Record<string, unknown>;
  for (const name in fields) if (!PRODUCE_FIELDS.has(name)) return undefined;
  const { topic, message, key, partition, acks } = fields;
  if (typeof topic !== "string" || !plainTopic(topic)) return undefined;
  if (typeof message !== "string") return undefined;
  if (key !== undefined && typeof key !== "string") return undefined;
  if (partition !== undefined && !(typeof partition === "number" && Number.isSafeInteger(partition) && partition >= 0)) return undefined;
  const fastAcks = acks === undefined ? undefined : acks === "all" || acks === -1 ? "all" : acks === "1" || acks === 1 ? "1" : null;
  if (fastAcks === null) return undefined;
  try {
    const record = toProduceRecord({ message, key });
    // A string message always has a value; the null one (a tombstone) takes the owner's route.
    if (record.value === null) return undefined;
    const ask: ProduceAsk = { topic, partition: partition ?? -1, key: record.key, value: record.value };
    if (fastAcks !== undefined) ask.acks = fastAcks;
    return ask;
  } catch (error) {
    if (error instanceof StreamNestError) return undefined;
    throw error;
  }
}

/** A topic a plain produce may name: valid, needing no decoding, and not internal (written by the broker only). */
function plainTopic(topic: string): boolean {
  return PLAIN_TOPIC.test(topic) && !topic.startsWith("__") && topic !== "." && topic !== "..";
}
