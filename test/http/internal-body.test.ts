import { describe, expect, test } from "bun:test";
import { StreamNestError } from "../../src/lib/errors.ts";
import { readInternalBody } from "../../src/http/internal-body.ts";

const BYTES = Uint8Array.from({ length: 300 }, (_, i) => i % 251);

async function codeOf(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (error) {
    if (error instanceof StreamNestError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return "no error";
}

/** A body that comes as a stream (no declared length), in pieces. */
function streamed(pieces: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece);
      controller.close();
    },
  });
}

describe("readInternalBody", () => {
  test("reads a body of declared length whole, byte for byte", async () => {
    const request = new Request("http://127.0.0.1/internal/replication/fetch", { method: "POST", body: BYTES, headers: { "content-length": "300" } });
    expect(await readInternalBody(request, 300)).toEqual(BYTES);
  });

  test("refuses a declared length over the limit before reading", async () => {
    const request = new Request("http://127.0.0.1/internal/replication/fetch", { method: "POST", body: BYTES, headers: { "content-length": "300" } });
    expect(await codeOf(() => readInternalBody(request, 299))).toBe("BODY_TOO_LARGE: the request body is over 299 bytes (at least 300)");
  });

  test("reads a body without a declared length through the limit", async () => {
    const within = new Request("http://127.0.0.1/internal/x", { method: "POST", body: streamed([BYTES.subarray(0, 100), BYTES.subarray(100)]) });
    expect(within.headers.get("content-length")).toBeNull();
    expect(await readInternalBody(within, 300)).toEqual(BYTES);
    const over = new Request("http://127.0.0.1/internal/x", { method: "POST", body: streamed([BYTES.subarray(0, 200), BYTES.subarray(200)]) });
    expect(await codeOf(() => readInternalBody(over, 250))).toBe("BODY_TOO_LARGE: the request body is over 250 bytes (at least 300)");
  });

  test("through a server: a call's body as sent, and an empty one", async () => {
    const server = Bun.serve({ port: 0, fetch: async (request) => new Response(await readInternalBody(request, 1 << 20)) });
    try {
      const echoed = await fetch(`http://127.0.0.1:${server.port}/internal/x`, { method: "POST", body: BYTES });
      expect(new Uint8Array(await echoed.arrayBuffer())).toEqual(BYTES);
      const empty = await fetch(`http://127.0.0.1:${server.port}/internal/x`, { method: "POST" });
      expect((await empty.arrayBuffer()).byteLength).toBe(0);
    } finally {
      server.stop(true);
    }
  });
});
