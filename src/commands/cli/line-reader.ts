import { StreamNestError } from "../../lib/errors.ts";

const LF = 0x0a;
const BOM = [0xef, 0xbb, 0xbf];

/**
 * A line that is not UTF-8 text. Messages are text, so such a line cannot be sent as it
 * is: it is refused by number rather than mangled into replacement characters.
 */
export class NotTextLine extends StreamNestError {
  static readonly reason = "not UTF-8 text (messages are text; encode binary data, e.g. as base64)";
  constructor(readonly line: number) {
    super("INVALID_REQUEST", `line ${line} is ${NotTextLine.reason}`);
  }
}

/**
 * Lines of a byte stream (standard input, a file), read as they come. Works the same
 * for a terminal and a pipe: no prompt library, no raw mode, nothing that needs a TTY.
 * A UTF-8 byte order mark at the very start is dropped, as text editors write one.
 */
export class LineReader {
  private readonly reader: {
    read(): Promise<{ done: boolean; value?: Uint8Array }>;
    cancel(reason?: unknown): Promise<void>;
  };
  // fatal: a line that is not UTF-8 must be noticed, not silently altered.
  private readonly decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  /** Bytes of the line not ended yet, joined only once its end arrives. */
  private partial: Uint8Array[] = [];
  private lines: Array<string | NotTextLine> = [];
  private head = 0;
  private ended = false;
  private started = false;
  private lineCount = 0;
  /** Bytes consumed so far, for progress lines. */
  bytesRead = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }

  /**
   * The next line without its line ending; undefined once the input has ended. A line
   * that is not UTF-8 throws a NotTextLine, and reading can go on after it.
   */
  async next(): Promise<string | undefined> {
    while (this.head === this.lines.length) {
      if (this.ended) return undefined;
      await this.fill();
    }
    return this.take();
  }

  /** A line that has already arrived, without waiting for more input. */
  nextBuffered(): string | undefined {
    return this.head < this.lines.length ? this.take() : undefined;
  }

  /** Stops reading; the stream is released. */
  async close(): Promise<void> {
    this.ended = true;
    await this.reader.cancel().catch(() => {});
  }

  private take(): string {
    const line = this.lines[this.head++];
    if (this.head === this.lines.length) {
      this.lines = [];
      this.head = 0;
    }
    if (line instanceof NotTextLine) throw line;
    return line;
  }

  private async fill(): Promise<void> {
    const { value, done } = await this.reader.read();
    if (done || value === undefined) {
      this.ended = true;
      // A last line without a newline is still a line; an empty tail is not.
      if (this.partial.length > 0) this.decodeLines(concat(this.partial), false);
      this.partial = [];
      return;
    }
    this.bytesRead += value.byteLength;
    let bytes = value;
    if (!this.started && bytes.length > 0) {
      this.started = true;
      if (BOM.every((b, i) => bytes[i] === b)) bytes = bytes.subarray(BOM.length);
    }
    const lastLf = bytes.lastIndexOf(LF);
    if (lastLf === -1) {
      // Copied: the stream may hand the same buffer back for its next chunk.
      if (bytes.length > 0) this.partial.push(bytes.slice());
      return;
    }
    const complete = concat([...this.partial, bytes.subarray(0, lastLf + 1)]);
    this.partial = lastLf + 1 < bytes.length ? [bytes.slice(lastLf + 1)] : [];
    this.decodeLines(complete, true);
  }

  /** Splits whole lines (ending in LF when `terminated`) and decodes them. */
  private decodeLines(bytes: Uint8Array, terminated: boolean): void {
    // Fast path: the whole run is text, decoded at once.
    let text: string | undefined;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      const parts = text.split("\n");
      if (terminated) parts.pop();
      for (const part of parts) this.lines.push(stripCr(part));
      this.lineCount += parts.length;
      return;
    }
    let start = 0;
    while (start < bytes.length) {
      let end = bytes.indexOf(LF, start);
      if (end === -1) end = bytes.length;
      this.lineCount++;
      try {
        this.lines.push(stripCr(this.decoder.decode(bytes.subarray(start, end))));
      } catch {
        this.lines.push(new NotTextLine(this.lineCount));
      }
      start = end + 1;
    }
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    joined.set(chunk, at);
    at += chunk.length;
  }
  return joined;
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
