/**
 * Lines of a byte stream (standard input, a file), read as they come. Works the same
 * for a terminal and a pipe: no prompt library, no raw mode, nothing that needs a TTY.
 */
export class LineReader {
  private readonly reader: {
    read(): Promise<{ done: boolean; value?: Uint8Array }>;
    cancel(reason?: unknown): Promise<void>;
  };
  private readonly decoder = new TextDecoder();
  private partial = "";
  private lines: string[] = [];
  private head = 0;
  private ended = false;
  /** Bytes consumed so far, for progress lines. */
  bytesRead = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }

  /** The next line without its line ending; undefined once the input has ended. */
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
    return line;
  }

  private async fill(): Promise<void> {
    const { value, done } = await this.reader.read();
    if (done || value === undefined) {
      this.ended = true;
      const rest = this.partial + this.decoder.decode();
      this.partial = "";
      // A last line without a newline is still a line; an empty tail is not.
      if (rest !== "") this.lines.push(stripCr(rest));
      return;
    }
    this.bytesRead += value.byteLength;
    const text = this.partial + this.decoder.decode(value, { stream: true });
    const parts = text.split("\n");
    this.partial = parts.pop() ?? "";
    for (const part of parts) this.lines.push(stripCr(part));
  }
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
