/**
 * The single-message produce body most clients send, read in place: one pass over the
 * bytes instead of a UTF-8 decode, JSON.parse and a UTF-8 encode of the message. Under
 * single-message load those three were the largest part of the fast path's own work.
 *
 * Only one exact form is read here: `{"name":value,...}` with no whitespace, the fields
 * of a plain produce each at most once, strings of printable ASCII without escapes, the
 * partition as plain digits, acks as "all", "1", -1 or 1. For any other body (a space, an
 * escape, a byte above 0x7F, a field twice, a number written another way, anything this
 * does not know) the answer is null and the caller parses the body as JSON, which then
 * decides as before. Within that form the answer is exactly what JSON.parse and the
 * checks after it make of the body (fast-requests.ts), which a test holds it to.
 */

/** What scanProduce hands back; the same shape as fast-requests.ts's ProduceAsk. */
export interface ScannedProduce {
  topic: string;
  partition: number;
  key: Uint8Array | null;
  value: Uint8Array;
  acks?: "all" | "1";
}

const QUOTE = 34;
const COMMA = 44;
const MINUS = 45;
const ZERO = 48;
const ONE = 49;
const NINE = 57;
const COLON = 58;
const BACKSLASH = 92;
const OPEN = 123;
const CLOSE = 125;

/** Kafka's longest topic name (lib/topic-name.ts). */
const MAX_TOPIC_LENGTH = 249;

const TOPIC = 1;
const MESSAGE = 2;
const KEY = 3;
const PARTITION = 4;
const ACKS = 5;

/** The topic last read, as bytes and as text: a client sends the same one on every request. */
let lastTopicBytes = new Uint8Array(0);
let lastTopic = "";

/** The fields of a produce body in the one form read here; null for any other body. */
export function scanProduce(body: Uint8Array): ScannedProduce | null {
  const n = body.length;
  if (n < 2 || body[0] !== OPEN || body[n - 1] !== CLOSE) return null;
  let topic: string | undefined;
  let value: Uint8Array | undefined;
  let key: Uint8Array | null | undefined;
  let partition: number | undefined;
  let acks: "all" | "1" | undefined;
  let at = 1;
  for (;;) {
    if (body[at] !== QUOTE) return null;
    const nameEnd = stringEnd(body, at);
    if (nameEnd < 0 || body[nameEnd + 1] !== COLON) return null;
    const field = fieldOf(body, at + 1, nameEnd);
    const start = nameEnd + 2;
    let next: number;
    if (field === TOPIC || field === MESSAGE || field === KEY) {
      if (body[start] !== QUOTE) return null;
      const end = stringEnd(body, start);
      if (end < 0) return null;
      next = end + 1;
      if (field === TOPIC) {
        // Longer than any valid topic: left to the JSON path, which refuses it.
        if (topic !== undefined || end - start - 1 > MAX_TOPIC_LENGTH) return null;
        topic = topicText(body, start + 1, end);
      } else if (field === MESSAGE) {
        if (value !== undefined) return null;
        value = body.subarray(start + 1, end);
      } else {
        if (key !== undefined) return null;
        key = body.subarray(start + 1, end);
      }
    } else if (field === PARTITION) {
      if (partition !== undefined) return null;
      next = digitsEnd(body, start);
      partition = plainDigits(body, start, next);
      if (partition < 0) return null;
    } else if (field === ACKS) {
      if (acks !== undefined) return null;
      const read = acksAt(body, start);
      if (read === null) return null;
      [acks, next] = read;
    } else return null;
    if (next === n - 1) break;
    if (body[next] !== COMMA) return null;
    at = next + 1;
  }
  if (topic === undefined || value === undefined) return null;
  const scanned: ScannedProduce = { topic, partition: partition ?? -1, key: key ?? null, value };
  if (acks !== undefined) scanned.acks = acks;
  return scanned;
}

/**
 * Where the string opened by the quote at `quote` closes; -1 when it holds anything but
 * printable ASCII without escapes (a backslash, a control byte, a byte above 0x7F).
 */
function stringEnd(body: Uint8Array, quote: number): number {
  for (let i = quote + 1; i < body.length; i++) {
    const c = body[i];
    if (c === QUOTE) return i;
    if (c === BACKSLASH || c < 0x20 || c > 0x7e) return -1;
  }
  return -1;
}

/** Which field the name in body[from, to) is; 0 for any other name. */
function fieldOf(body: Uint8Array, from: number, to: number): number {
  switch (to - from) {
    case 5:
      return same(body, from, "topic") ? TOPIC : 0;
    case 7:
      return same(body, from, "message") ? MESSAGE : 0;
    case 3:
      return same(body, from, "key") ? KEY : 0;
    case 9:
      return same(body, from, "partition") ? PARTITION : 0;
    case 4:
      return same(body, from, "acks") ? ACKS : 0;
    default:
      return 0;
  }
}

function same(body: Uint8Array, from: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) if (body[from + i] !== name.charCodeAt(i)) return false;
  return true;
}

/** The topic's text (ASCII): the last one's string again when the bytes are the same. */
function topicText(body: Uint8Array, from: number, to: number): string {
  const length = to - from;
  if (length === lastTopicBytes.length) {
    let i = 0;
    while (i < length && body[from + i] === lastTopicBytes[i]) i++;
    if (i === length) return lastTopic;
  }
  const bytes = body.slice(from, to);
  lastTopic = String.fromCharCode(...bytes);
  lastTopicBytes = bytes;
  return lastTopic;
}

/** The end of the run of digits from `from`. */
function digitsEnd(body: Uint8Array, from: number): number {
  let i = from;
  while (i < body.length && body[i] >= ZERO && body[i] <= NINE) i++;
  return i;
}

/** The plain decimal in body[from, to) (0, or 1 to 15 digits without a leading 0: a safe integer), or -1. */
function plainDigits(body: Uint8Array, from: number, to: number): number {
  const digits = to - from;
  if (digits < 1 || digits > 15 || (digits > 1 && body[from] === ZERO)) return -1;
  let value = 0;
  for (let i = from; i < to; i++) value = value * 10 + (body[i] - ZERO);
  return value;
}

/** acks at `at` as "all", "1", -1 or 1, and where it ends; null for anything else. */
function acksAt(body: Uint8Array, at: number): ["all" | "1", number] | null {
  if (body[at] === QUOTE) {
    if (body[at + 1] === ONE && body[at + 2] === QUOTE) return ["1", at + 3];
    if (same(body, at + 1, "all") && body[at + 4] === QUOTE) return ["all", at + 5];
    return null;
  }
  if (body[at] === MINUS && body[at + 1] === ONE && !isDigit(body[at + 2])) return ["all", at + 2];
  if (body[at] === ONE && !isDigit(body[at + 1])) return ["1", at + 1];
  return null;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= ZERO && c <= NINE;
}
