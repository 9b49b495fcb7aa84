/**
 * The nesting depth of JSON text, read from its bytes without parsing it: `{` and `[`
 * open a level, `}` and `]` close one, except inside strings (whose escapes are
 * skipped). Stops at the first byte past `limit` and returns its position, so a body
 * nested too deeply is refused before anything is built from it; undefined otherwise.
 * Malformed text is left to JSON.parse to describe.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

export function nestingPastLimit(bytes: Uint8Array, limit: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > limit) return i;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
  }
  return undefined;
}
