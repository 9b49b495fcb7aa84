import { afterEach, describe, expect, test } from "bun:test";
import { JOIN_BELOW_BYTES, partsBody } from "../../src/http/parts-body.ts";

/** Answers from a real server on 127.0.0.1, read back whole as a peer's fetch reads them. */
const servers: Array<ReturnType<typeof Bun.serve>> = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop(true);
});

async function served(parts: readonly Uint8Array[]): Promise<Uint8Array> {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(partsBody(parts), { headers: { "content-type": "application/octet-stream" } }) });
  servers.push(server);
  const res = await fetch(`http://127.0.0.1:${server.port}/`, { method: "POST", body: "x" });
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

function filled(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

describe("partsBody", () => {
  test("one part is the body as it is; small parts are joined", () => {
    const one = filled(10, 1);
    expect(partsBody([one])).toBe(one);
    const joined = partsBody([filled(3, 1), filled(0, 2), filled(4, 3)]);
    expect(joined).toBeInstanceOf(Uint8Array);
    expect([...(joined as Uint8Array)]).toEqual([...filled(3, 1), ...filled(4, 3)]);
  });

  test("large parts are streamed as they lie, and arrive as the bytes joined", async () => {
    const head = filled(57, 7);
    const frames = filled(JOIN_BELOW_BYTES * 8 + 13, 9);
    const body = partsBody([head, new Uint8Array(0), frames]);
    expect(body).toBeInstanceOf(ReadableStream);
    const got = await served([head, new Uint8Array(0), frames]);
    expect(got.byteLength).toBe(head.byteLength + frames.byteLength);
    expect(Buffer.compare(got, Buffer.concat([head, frames]))).toBe(0);
    // The parts were sent, not consumed: the same parts serve a second answer.
    expect(Buffer.compare(await served([head, frames]), Buffer.concat([head, frames]))).toBe(0);
  });
});
