import type { ConsoleRecord } from "./types.ts";

/**
 * How a message value is shown: JSON pretty-printed, text as is, and anything that is
 * not text (control characters, or U+FFFD where bytes were not UTF-8) as hex of its
 * UTF-8 bytes. A record's exact bytes, when the broker sent them, are shown by
 * record-bytes.ts instead.
 */

export type ValueKind = "json" | "text" | "binary";

export interface FormattedValue {
  kind: ValueKind;
  text: string;
}

// C0 controls other than tab, newline and carriage return, DEL, C1 controls, and the
// replacement character a UTF-8 decoder leaves for bytes that are not text.
const NOT_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffd]/;

export function isBinary(value: string): boolean {
  return NOT_TEXT.test(value);
}

/** A hex dump, 16 bytes a row after the row's offset: of `value`'s UTF-8 bytes, or of bytes as given. */
export function toHex(value: string | Uint8Array, maxBytes = 4096): string {
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
  const shown = bytes.subarray(0, maxBytes);
  const parts: string[] = [];
  for (let i = 0; i < shown.length; i += 16) {
    const row = Array.from(shown.subarray(i, i + 16), (b) => b.toString(16).padStart(2, "0")).join(" ");
    parts.push(`${i.toString(16).padStart(8, "0")}  ${row}`);
  }
  if (bytes.length > maxBytes) parts.push(`… ${bytes.length - maxBytes} more bytes`);
  return parts.join("\n");
}

export function formatValue(value: string): FormattedValue {
  if (isBinary(value)) return { kind: "binary", text: toHex(value) };
  const trimmed = value.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return { kind: "json", text: JSON.stringify(JSON.parse(trimmed), null, 2) };
    } catch {
      // not JSON after all: shown as text
    }
  }
  return { kind: "text", text: value };
}

/**
 * Whether a record matches the filter box: every word (case-insensitive) appears in the
 * key, the value, or a header name or value. (Offsets are picked with the offset field.)
 */
export function matchesFilter(record: ConsoleRecord, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter((w) => w !== "");
  if (words.length === 0) return true;
  // header_list, when the broker sent it, has the headers the object lost (a key twice)
  const headers = record.header_list?.flatMap((h) => [h.key, h.value ?? ""]) ?? Object.entries(record.headers).flat();
  const hay = [record.key ?? "", record.message ?? "", ...headers]
    .join("\u0000")
    .toLowerCase();
  return words.every((w) => hay.includes(w));
}

/** Headers typed as `name: value` lines, or an error naming the first line without a colon. */
export function parseHeaders(text: string): { headers: Record<string, string> } | { error: string } {
  const headers: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) return { error: `header line ${i + 1} is not "name: value"` };
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return { headers };
}
