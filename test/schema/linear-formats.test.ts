import { describe, expect, test } from "bun:test";
import type { Format } from "ajv";
import { fullFormats } from "ajv-formats/dist/formats";
import { compileSchema, formatInUse } from "../../src/schema/compile.ts";
import { useLinearFormats } from "../../src/schema/linear-formats.ts";
import { refusal } from "../helpers/refusal.ts";

/** `format` under RE2 (linear-formats.ts): the same answers as ajv-formats' RegExps, without their backtracking. */

function swapped(): Map<string, Format> {
  const out = new Map<string, Format>();
  useLinearFormats({ ...fullFormats }, (name, format) => out.set(name, format));
  return out;
}

const SAMPLES = [
  "",
  "http://example.com/a/b?c=d#e",
  "//host:80/p",
  "../relative/path",
  "urn:isbn:0451450523",
  "/a~0b/c~1d",
  "/bad~2",
  "{+path}/x{?q,r}",
  "{unclosed",
  "%zz",
  "a b",
  "1234",
  "0/a",
  "#/a/b",
  "550e8400-e29b-41d4-a716-446655440000",
  "user@example.com",
  "192.168.0.1",
  "::1",
  "fe80::1%eth0",
  "a-".repeat(2000) + "!",
];

describe("useLinearFormats", () => {
  test("the formats that backtracked are swapped; those RE2 cannot express keep their RegExp", () => {
    const names = [...swapped().keys()];
    for (const name of ["uri-reference", "uri-template", "json-pointer", "json-pointer-uri-fragment", "uuid", "ipv4", "ipv6", "url"]) expect(names).toContain(name);
    for (const name of ["duration", "hostname", "date", "uri"]) expect(names).not.toContain(name);
  });

  // Found by a tester: "http://" and 64,000 colons took 3.2 s under ajv-formats' url
  // expression (and 1 MiB would have taken minutes), stalling the broker past its quorum timeouts.
  test("url answers as its RegExp does up to 8,192 characters, in bounded time; a longer string is not a url", () => {
    const url = swapped().get("url") as { validate: (value: string) => boolean };
    const original = fullFormats.url as RegExp;
    const samples = [...SAMPLES, "https://user:pw@example.com:8080/x", "http://user:p:w@example.com", "ftp://a.b.co", "http://10.0.0.1/", "http://localhost/", "HTTP://EXAMPLE.COM", "http://ex ample.com", `http://example.com/${"a".repeat(8000)}`];
    for (const sample of samples) expect(`${JSON.stringify(sample.slice(0, 40))} ${url.validate(sample)}`).toBe(`${JSON.stringify(sample.slice(0, 40))} ${original.test(sample)}`);
    expect(url.validate(`http://example.com/${"a".repeat(9000)}`)).toBe(false);
    const topic = compileSchema({ type: "string", format: "url" }, 1);
    // Under the former expression the first of these would run for minutes (past the test's timeout).
    for (const hostile of [`http://${":".repeat(1_000_000)} `, `http://${"a.".repeat(4090)} `, `http://${":".repeat(8000)} `])
      expect(topic.problem(JSON.stringify(hostile))).toBe('/ must match format "url"');
  });

  test("each swapped format answers every sample as its RegExp does", () => {
    for (const [name, format] of swapped()) {
      const original = fullFormats[name as keyof typeof fullFormats];
      if (!(original instanceof RegExp) || typeof format !== "object" || format instanceof RegExp || typeof format.validate !== "function") throw new Error(`${name} is not a swapped RegExp`);
      const validate = format.validate as (value: string) => boolean;
      for (const sample of SAMPLES) expect(`${name} ${JSON.stringify(sample.slice(0, 40))} ${validate(sample)}`).toBe(`${name} ${JSON.stringify(sample.slice(0, 40))} ${original.test(sample)}`);
    }
  });

  test("a topic's uri-reference and json-pointer still accept and refuse as before, a long hostile string included", () => {
    expect(formatInUse("uri-reference")).not.toBeInstanceOf(RegExp);
    expect(formatInUse("hostname")).toBeInstanceOf(RegExp);
    const uri = compileSchema({ type: "string", format: "uri-reference" }, 1);
    expect(uri.problem(JSON.stringify("http://example.com/a?b#c"))).toBeUndefined();
    // 80 KB the JavaScript RegExp took seconds over (found by fuzzing): a valid relative reference.
    expect(uri.problem(JSON.stringify(`${"a-".repeat(40_000)}!`))).toBeUndefined();
    expect(uri.problem(JSON.stringify(`${"a-".repeat(40_000)} !`))).toBe('/ must match format "uri-reference"');
    const pointer = compileSchema({ type: "string", format: "json-pointer" }, 1);
    pointer.check(JSON.stringify("/a/b~0"), "t");
    expect(refusal(() => pointer.check(JSON.stringify("/a~2"), "t")).code).toBe("SCHEMA_VIOLATION");
  });
});
