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
