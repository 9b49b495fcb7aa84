import type { Format } from "ajv";
import { RE2JS } from "re2js";

/**
 * The `format` keyword checked in linear time where its regular expression allows.
 *
 * ajv-formats' full formats are JavaScript RegExps, which backtrack: one 80 KB message
 * against `"format": "uri-reference"` took 0.9–3.9 s (measured; uri-template 0.16 s,
 * json-pointer 0.07 s), long enough for the broker to miss its quorum heartbeats and be
 * fenced (found by fuzzing). The same expressions under RE2 took 9, 17 and 11 ms. A
 * format whose expression RE2 cannot take (lookaround: duration, url, hostname) keeps
 * its RegExp; of those, only url backtracked (see linearUrl), and the functions (date,
 * uri, regex, …) did not.
 */
export function useLinearFormats(formats: Record<string, Format | undefined>, addFormat: (name: string, format: Format) => void): void {
  for (const [name, format] of Object.entries(formats)) {
    if (!(format instanceof RegExp)) continue;
    if (name === "url") {
      addFormat(name, linearUrl(format));
      continue;
    }
    let linear: RE2JS;
    try {
      linear = RE2JS.compile(RE2JS.translateRegExp(format.source), format.flags.includes("i") ? RE2JS.CASE_INSENSITIVE : 0);
    } catch {
      continue;
    }
    // test, like RegExp.test: the expressions carry their own ^ and $.
    addFormat(name, { type: "string", validate: (value: string) => linear.test(value) });
  }
}

/** ajv-formats' url expression's user-info part, and what matches the same strings without backtracking. */
const USER_INFO = String.raw`(?:\S+(?::\S*)?@)?`;
const USER_INFO_LINEAR = String.raw`(?:\S+@)?`;

/** Longest string the `url` format accepts (browsers and servers cap URLs at 2–8 KB). */
export const MAX_URL_LENGTH = 8192;

/**
 * The `url` format, bounded. Its expression backtracked: "http://" followed by 64,000
 * colons took 3.2 s, growing faster than n² (a tester's message stalled the broker past
 * its quorum timeouts), and 64,000 "a." labels 0.75 s. The user-info part
 * `\S+(?::\S*)?@` matches exactly the strings `\S+@` does (a colon is not a space) and
 * is written so; the host labels still backtrack, so a string longer than
 * MAX_URL_LENGTH is not a url (at that length the worst input measured takes ~2 ms).
 * The lookaheads (private address ranges) stay, which RE2 lacks.
 */
function linearUrl(format: RegExp): Format {
  const expression = new RegExp(format.source.replace(USER_INFO, USER_INFO_LINEAR), format.flags);
  return { type: "string", validate: (value: string) => value.length <= MAX_URL_LENGTH && expression.test(value) };
}
