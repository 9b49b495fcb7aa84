import { isUtf8 } from "node:buffer";
import type { RecordHeader, StoredRecord } from "../broker/types.ts";

/**
 * Records as JSON text, built by hand: a batch read of thousands of records is
 * dominated by encoding, and concatenating known fields is cheaper than building an
 * object per record for JSON.stringify. Strings still go through JSON.stringify for
 * exact escaping.
 */
// ignoreBOM keeps a leading U+FEFF: the default decoder drops it, and a message that
// starts with one would read back different from what was acknowledged.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

export function recordJson(r: StoredRecord): string {
  const key = r.key === null ? "null" : JSON.stringify(decoder.decode(r.key));
  const headers = r.headers.length === 0 ? "{}" : headersJson(r.headers);
  const message = r.value === null ? "null" : JSON.stringify(decoder.decode(r.value));
  return `{"offset":${r.offset},"key":${key},"message":${message},"headers":${headers},"timestamp":${r.timestamp}${rawBytesJson(r)}${headerListJson(r.headers)}}`;
}

/**
 * A record without a value (a Kafka tombstone) shows `"message":null`; an empty value
 * shows `"message":""`.
 *
 * Bytes that are not UTF-8 (a Kafka client may write any) cannot travel as JSON text
 * unchanged: "message" and "key" then hold their decoding with U+FFFD for each bad
 * sequence, and "message_base64" / "key_base64" carry the exact bytes (RFC 4648
 * base64). A record whose bytes are UTF-8 has neither field.
 */
function rawBytesJson(r: StoredRecord): string {
  let out = "";
  if (r.value !== null && !isUtf8(r.value)) out += `,"message_base64":"${Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength).toString("base64")}"`;
  if (r.key !== null && !isUtf8(r.key)) out += `,"key_base64":"${Buffer.from(r.key.buffer, r.key.byteOffset, r.key.byteLength).toString("base64")}"`;
  return out;
}

export function recordsJson(records: readonly StoredRecord[]): string {
  if (records.length === 0) return "[]";
  let out = "[" + recordJson(records[0]);
  for (let i = 1; i < records.length; i++) out += "," + recordJson(records[i]);
  return out + "]";
}

/** Duplicate header names (possible from other producers): the last one wins; header_list has them all. */
function headersJson(headers: readonly RecordHeader[]): string {
  const map: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const h of headers) map[h.key] = h.value === null ? "" : decoder.decode(h.value);
  return JSON.stringify(map);
}

/**
 * `,"header_list":[…]` when the `headers` object cannot show the record's headers
 * exactly, else nothing: a key given twice (Kafka allows it; the object keeps the last),
 * a null value (the object shows ""), or a value that is not UTF-8 (the object shows
 * U+FFFD). Every header then comes in order as {"key","value"}, with the value null for a
 * null one and its exact bytes in "value_base64" when they are not UTF-8, as
 * message_base64 does for the value. Header keys are strings on the wire (Kafka's
 * protocol), checked as UTF-8 when a record is taken in.
 */
export function headerListJson(headers: readonly RecordHeader[]): string {
  if (headersExact(headers)) return "";
  let out = ',"header_list":[';
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i];
    if (i > 0) out += ",";
    out += `{"key":${JSON.stringify(h.key)},"value":`;
    if (h.value === null) out += "null}";
    else {
      out += JSON.stringify(decoder.decode(h.value));
      if (!isUtf8(h.value)) out += `,"value_base64":"${Buffer.from(h.value.buffer, h.value.byteOffset, h.value.byteLength).toString("base64")}"`;
      out += "}";
    }
  }
  return out + "]";
}

function headersExact(headers: readonly RecordHeader[]): boolean {
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i];
    if (h.value === null || !isUtf8(h.value)) return false;
    for (let j = 0; j < i; j++) if (headers[j].key === h.key) return false;
  }
  return true;
}

/** The message as text; null for a tombstone (a record without a value). */
export function messageText(r: StoredRecord): string | null {
  return r.value === null ? null : decoder.decode(r.value);
}

/**
 * The JSON of `records` as UTF-8 bytes, between `before` and `after` (ASCII-safe JSON
 * text). The same text as recordsJson, built without decoding each value to a string,
 * quoting it and encoding the answer back: a value of plain ASCII is copied as it is
 * stored, and one that needs escapes is escaped byte by byte as JSON.stringify would.
 * That round trip took about half of a 1,000-record read.
 */
export function recordsJsonBytes(before: string, records: readonly StoredRecord[], after: string): Uint8Array {
  let size = before.length + after.length + 2;
  for (const r of records) size += RECORD_OVERHEAD_BYTES + (r.value?.length ?? 0) + (r.key === null ? 0 : r.key.length);
  const out = new JsonBytes(size);
  out.text(before);
  out.byte(0x5b); // [
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    out.ascii(i === 0 ? '{"offset":' : ',{"offset":');
    out.integer(r.offset);
    if (r.key === null) out.ascii(',"key":null,"message":');
    else {
      out.ascii(',"key":');
      out.string(r.key);
      out.ascii(',"message":');
    }
    // A tombstone is JSON null, never "" (which is an empty value).
    if (r.value === null) {
      out.ascii("null");
      out.lastWasUtf8 = true;
    } else out.string(r.value);
    if (r.headers.length === 0) out.ascii(',"headers":{},"timestamp":');
    else {
      out.ascii(',"headers":');
      out.text(headersJson(r.headers));
      out.ascii(',"timestamp":');
    }
    out.integer(r.timestamp);
    if (!out.lastWasUtf8 || (r.key !== null && !isUtf8(r.key))) out.ascii(rawBytesJson(r));
    if (r.headers.length > 0) out.text(headerListJson(r.headers));
    out.byte(0x7d); // }
  }
  out.byte(0x5d); // ]
  out.text(after);
  return out.bytes();
}

/** Fixed text of one record: field names, punctuation, two numbers of up to 16 digits. */
const RECORD_OVERHEAD_BYTES = 96;
const encoder = new TextEncoder();
const HEX = "0123456789abcdef";
const EMPTY_VIEW = new DataView(new ArrayBuffer(0));
const PLAIN = 0;
const ESCAPED = 1;
const NON_ASCII = 2;

/** A growing UTF-8 buffer. */
class JsonBytes {
  private buf: Uint8Array;
  private pos = 0;
  private viewBuffer: ArrayBufferLike | null = null;
  private view: DataView<ArrayBufferLike> = EMPTY_VIEW;
  /** Whether the bytes of the last string() were UTF-8 (else the record gets its base64 too). */
  lastWasUtf8 = true;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  byte(b: number): void {
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = b;
  }

  /** Text known to be ASCII (field names, numbers). */
  ascii(s: string): void {
    if (this.pos + s.length > this.buf.length) this.grow(s.length);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
    this.pos = pos;
  }

  /** A number as JSON: the digits written in place, without a string per number. */
  integer(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) {
      this.ascii(String(n));
      return;
    }
    if (this.pos + 16 > this.buf.length) this.grow(16);
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    const buf = this.buf;
    let at = this.pos + digits;
    this.pos = at;
    // n / 10 of a safe integer is never within rounding of the next integer.
    while (n >= 10) {
      const q = Math.floor(n / 10);
      buf[--at] = 0x30 + (n - q * 10);
      n = q;
    }
    buf[--at] = 0x30 + n;
  }

  /** Any text, UTF-8 encoded. */
  text(s: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.pos + s.length * 3 > this.buf.length) this.grow(s.length * 3);
    this.pos += encoder.encodeInto(s, this.buf.subarray(this.pos)).written;
  }

  /**
   * The stored UTF-8 `bytes` as a JSON string, exactly as JSON.stringify(decode(bytes)):
   * `"` and `\` escaped, control characters as \b \t \n \f \r or \u00xx, everything
   * else as is. Bytes that are not valid UTF-8 (which a decoder would turn into U+FFFD)
   * go through the decoder.
   */
  string(bytes: Uint8Array): void {
    const kind = this.classify(bytes);
    const plain = kind === PLAIN;
    this.lastWasUtf8 = !(kind === NON_ASCII && !isUtf8(bytes));
    if (!this.lastWasUtf8) {
      this.text(JSON.stringify(decoder.decode(bytes)));
      return;
    }
    if (plain) {
      if (this.pos + bytes.length + 2 > this.buf.length) this.grow(bytes.length + 2);
      const buf = this.buf;
      buf[this.pos] = 0x22;
      buf.set(bytes, this.pos + 1);
      this.pos += bytes.length + 1;
      buf[this.pos++] = 0x22;
      return;
    }
    // At most 6 bytes (\u00xx) per input byte, plus the quotes.
    if (this.pos + bytes.length * 6 + 2 > this.buf.length) this.grow(bytes.length * 6 + 2);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = 0x22;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b >= 0x20 && b !== 0x22 && b !== 0x5c) {
        buf[pos++] = b;
        continue;
      }
      buf[pos++] = 0x5c;
      const short = b === 0x22 ? 0x22 : b === 0x5c ? 0x5c : b === 8 ? 0x62 : b === 9 ? 0x74 : b === 10 ? 0x6e : b === 12 ? 0x66 : b === 13 ? 0x72 : 0;
      if (short !== 0) {
        buf[pos++] = short;
      } else {
        buf[pos++] = 0x75; // u
        buf[pos++] = 0x30;
        buf[pos++] = 0x30;
        buf[pos++] = HEX.charCodeAt(b >> 4);
        buf[pos++] = HEX.charCodeAt(b & 15);
      }
    }
    buf[pos++] = 0x22;
    this.pos = pos;
  }

  /**
   * PLAIN (ASCII, nothing to escape), ESCAPED (ASCII with `"`, `\` or a control
   * character) or NON_ASCII. Four bytes at a time: a per-byte loop was most of the cost
   * of a read answer. The words come from one DataView per buffer (a read's records are
   * views into the same few buffers).
   */
  private classify(bytes: Uint8Array): number {
    if (bytes.buffer !== this.viewBuffer) {
      this.viewBuffer = bytes.buffer;
      this.view = new DataView(bytes.buffer);
    }
    const view = this.view;
    const start = bytes.byteOffset;
    const end = start + bytes.length;
    let escapes = 0;
    let i = start;
    for (; end - i >= 4; i += 4) {
      const w = view.getInt32(i, true);
      if ((w & 0x80808080) !== 0) return NON_ASCII;
      // Every byte is below 0x80 here, so these stay within int32 (no byte borrows past
      // the top); each sets a byte's high bit where it is below 0x20, is 0x22 or 0x5c
      // (the "has a zero byte" trick), and flags nothing when no byte is.
      const q = w ^ 0x22222222;
      const s = w ^ 0x5c5c5c5c;
      escapes |= ((w - 0x20202020) & ~w) | ((q - 0x01010101) & ~q) | ((s - 0x01010101) & ~s);
    }
    for (; i < end; i++) {
      const b = view.getUint8(i);
      if (b >= 0x80) return NON_ASCII;
      if (b < 0x20 || b === 0x22 || b === 0x5c) escapes = 0x80;
    }
    return (escapes & 0x80808080) === 0 ? PLAIN : ESCAPED;
  }

  private grow(need: number): void {
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + need));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
}
