import { describe, expect, test } from "bun:test";
import { jsonBodyParser } from "../../src/http/body.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

const utf8 = new TextEncoder();

/** The parser's answer, or the code and message of its refusal. */
async function parse(
  body: string | Uint8Array | ReadableStream<Uint8Array> | null,
  options: { limit?: number; internalLimit?: number; path?: string; headers?: Record<string, string> } = {},
): Promise<unknown> {
  const parser = jsonBodyParser(options.limit ?? 64, options.internalLimit);
  const request = new Request(`http://127.0.0.1${options.path ?? "/produce"}`, { method: "POST", body, headers: options.headers });
  try {
    return { ok: await parser({ request }) };
  } catch (error) {
    if (error instanceof StreamNestError) return { code: error.code, message: error.message, details: error.details };
    throw error;
  }
}

/** A body without Content-Length (chunked), from the given chunks. */
function chunked(...chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(utf8.encode(c));
      controller.close();
    },
  });
}

describe("jsonBodyParser", () => {
  test("parses a JSON object whatever the content type, and drops a byte order mark", async () => {
    expect(await parse('{"topic":"a"}', { headers: { "content-type": "application/x-www-form-urlencoded" } })).toEqual({
      ok: { topic: "a" },
    });
    expect(await parse('\uFEFF{"a":"日本"}')).toEqual({ ok: { a: "日本" } });
    expect(await parse(chunked('{"a"', ':1}'))).toEqual({ ok: { a: 1 } });
  });

  test("an empty body is null", async () => {
    expect(await parse(null)).toEqual({ ok: null });
    expect(await parse("")).toEqual({ ok: null });
    expect(await parse(chunked())).toEqual({ ok: null });
  });

  test("refuses what is not a JSON object", async () => {
    expect(await parse("[1]")).toEqual({ code: "INVALID_REQUEST", message: "the request body must be a JSON object, not an array", details: undefined });
    expect(await parse("null")).toEqual({ code: "INVALID_REQUEST", message: "the request body must be a JSON object, not null", details: undefined });
    expect(await parse('"x"')).toEqual({ code: "INVALID_REQUEST", message: "the request body must be a JSON object, not string", details: undefined });
    const broken = (await parse("{nope")) as { code: string; message: string };
    expect(broken.code).toBe("INVALID_REQUEST");
    expect(broken.message).toStartWith("the request body is not valid JSON: ");
  });

  test("refuses bytes that are not UTF-8, naming the first bad byte", async () => {
    const latin1 = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]); // {"a":"é"} in Latin-1
    expect(await parse(latin1)).toEqual({
      code: "INVALID_REQUEST",
      message: "the request body is not valid UTF-8 (first bad byte at position 6); JSON must be sent as UTF-8",
      details: undefined,
    });
    // RFC 3629: an overlong form, a surrogate and a truncated sequence are all bad.
    const at = async (bytes: number[]): Promise<string> => ((await parse(new Uint8Array(bytes))) as { message: string }).message;
    expect(await at([0x7b, 0xc0, 0xaf])).toContain("position 1");
    expect(await at([0x7b, 0x20, 0xed, 0xa0, 0x80])).toContain("position 2");
    expect(await at([0x7b, 0xe0, 0x80, 0x80])).toContain("position 1");
    expect(await at([0x7b, 0x20, 0x20, 0xf0, 0x9f])).toContain("position 3");
    expect(await at([0x7b, 0xf4, 0x90, 0x80, 0x80])).toContain("position 1");
  });

  test("refuses a body over the limit, from Content-Length or as it streams", async () => {
    const big = `{"a":"${"x".repeat(100)}"}`;
    expect(await parse(big)).toEqual({
      code: "BODY_TOO_LARGE",
      message: `the request body is over 64 bytes (at least ${big.length})`,
      details: { limit: 64 },
    });
    expect(await parse(chunked('{"a":"', "x".repeat(40), "x".repeat(40), '"}'))).toEqual({
      code: "BODY_TOO_LARGE",
      message: "the request body is over 64 bytes (at least 86)",
      details: { limit: 64 },
    });
    // Exactly at the limit is fine.
    const exact = `{"a":"${"x".repeat(56)}"}`;
    expect(exact.length).toBe(64);
    expect(await parse(exact)).toEqual({ ok: { a: "x".repeat(56) } });
  });

  test("a call under /internal/ gets the larger internal limit, and only there", async () => {
    const body = `{"a":"${"x".repeat(80)}"}`;
    expect(await parse(body, { internalLimit: 128, path: "/internal/partitions/produce" })).toEqual({ ok: { a: "x".repeat(80) } });
    expect(((await parse(body, { internalLimit: 128, path: "/produce" })) as { code: string }).code).toBe("BODY_TOO_LARGE");
    // A public path that merely mentions "internal" is not internal.
    expect(((await parse(body, { internalLimit: 128, path: "/topics/internal-x" })) as { code: string }).code).toBe("BODY_TOO_LARGE");
    expect(((await parse(body, { internalLimit: 128, path: "/produce?x=/internal/" })) as { code: string }).code).toBe("BODY_TOO_LARGE");
  });
});

// Found by a tester: a gzip body was answered 400 "not valid UTF-8".
describe("Content-Encoding", () => {
  test("a compressed body is 415 naming the encoding, before it is read; identity (or none) is read as sent", async () => {
    const json = '{"topic":"t","message":"m"}';
    for (const encoding of ["gzip", "br", "deflate, gzip"])
      expect(await parse(Bun.gzipSync(utf8.encode(json)), { headers: { "content-encoding": encoding } })).toEqual({
        code: "UNSUPPORTED_MEDIA_TYPE",
        message: `request bodies are read as sent: Content-Encoding "${encoding}" is not supported; send the body uncompressed`,
        details: undefined,
      });
    for (const encoding of ["identity", "IDENTITY", ""])
      expect(await parse(json, { headers: { "content-encoding": encoding } })).toEqual({ ok: { topic: "t", message: "m" } });
  });
});
