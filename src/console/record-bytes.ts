import { formatValue, type FormattedValue, isBinary, toHex } from "./message-format.ts";
import type { ConsoleRecord } from "./types.ts";

/**
 * A record's key, value and headers as the console shows them, from their exact bytes
 * when the broker sent those (message_base64, key_base64, header_list's value_base64):
 * for bytes that are not UTF-8 the text fields hold U+FFFD in place of each bad
 * sequence, so a hex view built from them would show ef bf bd, not what was stored.
 */

/** RFC 4648 base64 to bytes (atob: in every browser, and in Bun for the tests). */
export function base64Bytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Bytes as one line of hex pairs (a key or header value is short; a long one is cut). */
export function hexLine(bytes: Uint8Array, maxBytes = 256): string {
  const line = Array.from(bytes.subarray(0, maxBytes), (b) => b.toString(16).padStart(2, "0")).join(" ");
  return bytes.length > maxBytes ? `${line} … ${bytes.length - maxBytes} more bytes` : line;
}

/** A short field (key, header value): as text, or as hex when it is not text. */
export interface ShownText {
  binary: boolean;
  text: string;
}

function shortField(text: string, base64: string | undefined): ShownText {
  if (base64 !== undefined) return { binary: true, text: hexLine(base64Bytes(base64)) };
  if (isBinary(text)) return { binary: true, text: hexLine(new TextEncoder().encode(text)) };
  return { binary: false, text };
}

/** The value; null for a tombstone. */
export function formatMessage(record: ConsoleRecord): FormattedValue | null {
  if (record.message === null) return null;
  if (record.message_base64 !== undefined) return { kind: "binary", text: toHex(base64Bytes(record.message_base64)) };
  return formatValue(record.message);
}

/** The key; null for a record without one. */
export function formatKey(record: ConsoleRecord): ShownText | null {
  return record.key === null ? null : shortField(record.key, record.key_base64);
}

export interface ShownHeader {
  key: string;
  /** null: a header without a value. */
  value: ShownText | null;
}

/** Every header in order: from header_list when present (the headers object keeps only a key's last value). */
export function recordHeaders(record: ConsoleRecord): ShownHeader[] {
  if (record.header_list !== undefined)
    return record.header_list.map((h) => ({ key: h.key, value: h.value === null ? null : shortField(h.value, h.value_base64) }));
  return Object.entries(record.headers).map(([key, value]) => ({ key, value: shortField(value, undefined) }));
}
