import { describe, expect, test } from "bun:test";
import { LineReader, NotTextLine } from "../../../src/commands/cli/line-reader.ts";

function chunked(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function all(reader: LineReader): Promise<string[]> {
  const lines: string[] = [];
  for (let line = await reader.next(); line !== undefined; line = await reader.next()) lines.push(line);
  return lines;
}

describe("LineReader", () => {
  test("splits lines across chunks, strips CRLF, keeps empty lines and an unterminated last line", async () => {
    const reader = new LineReader(chunked("dem", "o\r\n0\n", "\nhello wor", "ld\nlast"));
    expect(await all(reader)).toEqual(["demo", "0", "", "hello world", "last"]);
    expect(reader.bytesRead).toBe(25);
  });

  test("a final newline does not make an empty extra line", async () => {
    expect(await all(new LineReader(chunked("a\nb\n")))).toEqual(["a", "b"]);
    expect(await all(new LineReader(chunked("")))).toEqual([]);
  });

  test("nextBuffered hands out only lines that have already arrived", async () => {
    const reader = new LineReader(chunked("a\nb\nc", "\nd\n"));
    expect(reader.nextBuffered()).toBeUndefined();
    expect(await reader.next()).toBe("a");
    expect(reader.nextBuffered()).toBe("b");
    expect(reader.nextBuffered()).toBeUndefined();
    expect(await reader.next()).toBe("c");
    expect(reader.nextBuffered()).toBe("d");
    expect(await reader.next()).toBeUndefined();
  });

  test("multi-byte characters split between chunks are decoded whole", async () => {
    const bytes = new TextEncoder().encode("zoë\n日本\n");
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
        controller.close();
      },
    });
    expect(await all(new LineReader(stream))).toEqual(["zoë", "日本"]);
  });

  test("a line that is not UTF-8 is refused by number, not mangled; the lines around it are read", async () => {
    const bytes = (...parts: Array<string | number[]>) =>
      parts.map((p) => (typeof p === "string" ? new TextEncoder().encode(p) : new Uint8Array(p)));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        // "zoë" split inside its ë, then an invalid line, then a last line cut inside a character.
        for (const chunk of bytes("ok\nzo", [0xc3], [0xab, 0x0a, 0xff, 0xfe], " bad\r\nnext\n", [0x6c, 0xc3]))
          controller.enqueue(chunk);
        controller.close();
      },
    });
    const reader = new LineReader(stream);
    const seen: Array<string | number> = [];
    for (;;) {
      try {
        const line = await reader.next();
        if (line === undefined) break;
        seen.push(line);
      } catch (error) {
        if (!(error instanceof NotTextLine)) throw error;
        seen.push(error.line);
      }
    }
    expect(seen).toEqual(["ok", "zoë", 3, "next", 5]);
  });

  test("a byte order mark at the very start is dropped; one further on is kept", async () => {
    expect(await all(new LineReader(chunked("\uFEFFfirst\r\n\uFEFFsecond\n")))).toEqual(["first", "\uFEFFsecond"]);
  });
});
