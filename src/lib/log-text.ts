import { formatWithOptions } from "node:util";

/**
 * What a broker writes to its log, made safe to read. Clients put much of what goes into
 * log lines there (topic names and partitions of a refused request, group, member and
 * client ids, user names), and a line break or a terminal escape in one of them would
 * forge a log line, or recolour, move or clear the terminal of whoever reads the log
 * (CWE-117, log injection). So control characters (C0 but the line break, DEL, C1), the
 * Unicode line and paragraph separators and the bidirectional overrides are written as
 * \u escapes, and a line break inside one message is kept (stack traces read as before)
 * with the line after it indented: a line of the log that starts in its first column is
 * always the start of a message the broker wrote. A message is cut after MAX_LOG_CHARS
 * characters: a refused request's names are logged as sent, and a Kafka compact string
 * may be as long as the request (a 1 MB topic name would otherwise be a 1 MB log line,
 * once per request, from a client that need not even be authenticated).
 */

// Tab is left alone: it cannot start a line. \r, \v and \f can (or rewrite one on a terminal).
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The indent of a message's lines after its first. */
export const CONTINUATION = "    ";
/** Characters of one message written before the rest is cut (a stack trace is ~1-2k). */
export const MAX_LOG_CHARS = 8192;

export function logSafe(text: string): string {
  if (text.length > MAX_LOG_CHARS) {
    // Not between the halves of a surrogate pair.
    const end = isHighSurrogate(text.charCodeAt(MAX_LOG_CHARS - 1)) ? MAX_LOG_CHARS - 1 : MAX_LOG_CHARS;
    const left = text.length - end;
    text = `${text.slice(0, end)}… (${left} more character${left === 1 ? "" : "s"})`;
  }
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_ALL, (c) => (c === "\n" ? `\n${CONTINUATION}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

const METHODS = ["log", "info", "warn", "error", "debug", "trace"] as const;
const guarded = new WeakSet<Console>();

/**
 * Makes every line `target` prints go through logSafe: its arguments formatted as
 * console.log formats them (without colours), then escaped. Called once where a broker
 * process or one of its threads starts, so that no log call anywhere in it (nor one
 * added later) can print a client's bytes raw. Idempotent.
 */
export function guardConsole(target: Console = console): void {
  if (guarded.has(target)) return;
  guarded.add(target);
  for (const name of METHODS) {
    const print = target[name].bind(target);
    target[name] = (...args: unknown[]): void => print(logSafe(formatWithOptions({ colors: false }, ...args)));
  }
}
