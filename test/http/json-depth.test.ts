import { describe, expect, test } from "bun:test";
import { nestingPastLimit } from "../../src/http/json-depth.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("nestingPastLimit", () => {
  test("counts arrays and objects, not brackets inside strings or escaped quotes", () => {
    expect(nestingPastLimit(bytes('{"a":[{"b":[]}]}'), 4)).toBeUndefined();
    expect(nestingPastLimit(bytes('{"a":[{"b":[]}]}'), 3)).toBe(11);
    expect(nestingPastLimit(bytes('{"a":"[[[[[[{{{{"}'), 1)).toBeUndefined();
    expect(nestingPastLimit(bytes('{"a":"\\"[[[[","b":[[]]}'), 3)).toBeUndefined();
    expect(nestingPastLimit(bytes('{"a":"\\\\","b":[[]]}'), 2)).toBe(15);
    expect(nestingPastLimit(bytes(`${"[".repeat(101)}${"]".repeat(101)}`), 100)).toBe(100);
    expect(nestingPastLimit(bytes(`${"[".repeat(100)}${"]".repeat(100)}`), 100)).toBeUndefined();
  });
});

/** The scan byte by byte that nestingPastLimit replaced (it skips strings with indexOf): the same answer for any bytes. */
function referenceScan(bytes: Uint8Array, limit: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === 0x5c) i++;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x7b || b === 0x5b) {
      if (++depth > limit) return i;
    } else if (b === 0x7d || b === 0x5d) depth--;
  }
  return undefined;
}

describe("nestingPastLimit against a scan byte by byte", () => {
  test("agrees on 20,000 random texts of quotes, backslashes and brackets", () => {
    // A fixed seed (xorshift): a failure names a text that fails again.
    let seed = 0x2545f491;
    const next = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const alphabet = '"\\{}[]a,:';
    for (let round = 0; round < 20_000; round++) {
      const text = Array.from({ length: next(40) }, () => alphabet[next(alphabet.length)]).join("");
      const limit = next(6);
      expect({ text, limit, at: nestingPastLimit(bytes(text), limit) }).toEqual({ text, limit, at: referenceScan(bytes(text), limit) });
    }
  });

  test("a long run of escaped backslashes ends its string at the quote after it", () => {
    const text = `{"a":"${"\\\\".repeat(50_000)}","b":[[[]]]}`;
    expect(nestingPastLimit(bytes(text), 2)).toBe(text.length - 6);
    expect(nestingPastLimit(bytes(text), 4)).toBeUndefined();
  });
});
