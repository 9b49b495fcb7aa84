import { describe, expect, test } from "bun:test";
import { StreamNestError } from "../../../src/lib/errors.ts";
import { DEFAULT_MAX_REQUEST_BYTES, FrameSplitter } from "../../../src/kafka/protocol/frame-splitter.ts";
import { cat, hex, i32, text } from "./support/wire.ts";

const framed = (s: string) => cat(i32(text(s).length), text(s));
const strings = (frames: Uint8Array[]) => frames.map((f) => new TextDecoder().decode(f));

describe("FrameSplitter", () => {
  test("the default limit is Kafka's socket.request.max.bytes, 100 MiB", () => {
    expect(DEFAULT_MAX_REQUEST_BYTES).toBe(104857600);
  });

  test("yields every frame of one chunk, without size prefixes", () => {
    const s = new FrameSplitter();
    expect(strings(s.push(cat(framed("one"), framed("two"), framed(""))))).toEqual(["one", "two", ""]);
    expect(s.pendingBytes).toBe(0);
  });

  test("reassembles frames split at every byte boundary", () => {
    const stream = cat(framed("hello"), framed("kafka"), framed("world"));
    for (let cut = 0; cut <= stream.length; cut++) {
      const s = new FrameSplitter();
      const frames = [...s.push(stream.subarray(0, cut)), ...s.push(stream.subarray(cut))];
      expect(strings(frames)).toEqual(["hello", "kafka", "world"]);
    }
  });

  test("a frame trickled a byte at a time is held in a few arrays, not one per byte", () => {
    const body = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
    const stream = cat(i32(body.length), body);
    const s = new FrameSplitter();
    for (let i = 0; i < 200_000; i++) expect(s.push(stream.subarray(i, i + 1))).toEqual([]);
    expect(s.pendingBytes).toBe(200_000 - 4);
    // 64 KiB per array at most: 3 full ones and the tail.
    expect(s.pendingChunks).toBeLessThanOrEqual(4);
    const [frame] = s.push(stream.subarray(200_000));
    expect(frame).toEqual(body);
    expect([s.pendingBytes, s.pendingChunks]).toEqual([0, 0]);
  });

  test("small and large chunks in any mix reassemble byte for byte", () => {
    const bodies = [5, 70_000, 1, 4095, 4096, 0, 130_000, 3].map((n, k) => new Uint8Array(n).map((_, i) => (i + k) % 256));
    const stream = cat(...bodies.flatMap((b) => [i32(b.length), b]));
    // Chunk sizes cycling through tiny, just under and over the small-chunk bound, and large.
    const sizes = [1, 3, 4095, 4096, 9000, 2, 65_536, 700, 3000];
    const s = new FrameSplitter();
    const frames: Uint8Array[] = [];
    for (let at = 0, k = 0; at < stream.length; k++) {
      const n = sizes[k % sizes.length];
      frames.push(...s.push(stream.subarray(at, at + n)));
      at += n;
    }
    expect(frames).toEqual(bodies);
    expect(s.pendingBytes).toBe(0);
  });

  test("reassembles a frame fed one byte at a time", () => {
    const s = new FrameSplitter();
    const stream = framed("byte by byte");
    const frames = [...stream].flatMap((b) => s.push(Uint8Array.of(b)));
    expect(strings(frames)).toEqual(["byte by byte"]);
  });

  test("frames are copies: reusing the chunk afterwards does not change them", () => {
    const s = new FrameSplitter();
    const chunk = framed("abc");
    const [frame] = s.push(chunk);
    chunk.fill(0);
    expect(hex(frame)).toBe("616263");
  });

  test("keeps a partial frame until the rest arrives", () => {
    const s = new FrameSplitter();
    expect(s.push(cat(i32(10), text("12345")))).toEqual([]);
    expect(s.pendingBytes).toBe(5);
    expect(strings(s.push(text("67890")))).toEqual(["1234567890"]);
  });

  test("a negative size is refused as soon as its 4 bytes are in", () => {
    const s = new FrameSplitter();
    let err: unknown;
    try {
      s.push(i32(-1));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StreamNestError);
    expect((err as StreamNestError).code).toBe("INVALID_REQUEST");
    expect((err as StreamNestError).message).toBe("negative frame size -1");
  });

  test("a size above the limit is refused before anything of that size is allocated", () => {
    const s = new FrameSplitter(1024);
    expect(() => s.push(cat(i32(1025), text("x")))).toThrow("frame of 1025 bytes exceeds the 1024-byte request limit");
    // "HTTP" read as a length, what an HTTP client sends to a Kafka port.
    const http = new FrameSplitter();
    expect(() => http.push(text("GET / HTTP/1.1\r\n"))).toThrow(
      "frame of 1195725856 bytes exceeds the 104857600-byte request limit",
    );
  });

  test("a frame exactly at the limit is accepted", () => {
    const s = new FrameSplitter(8);
    expect(strings(s.push(framed("12345678")))).toEqual(["12345678"]);
  });

  test("after a framing error the stream is dead", () => {
    const s = new FrameSplitter(4);
    expect(() => s.push(i32(5))).toThrow(StreamNestError);
    expect(() => s.push(framed("ok"))).toThrow("the stream already failed framing; close the connection");
  });
});
