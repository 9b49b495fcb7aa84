/** Reads server-sent events from a response body, for tests. */
export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

export class SseReader {
  private readonly reader: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> };
  private readonly decoder = new TextDecoder();
  private buffer = "";
  private readonly queue: SseEvent[] = [];

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /** The next event with data (comments and retry lines are skipped); undefined at the end. */
  async next(): Promise<SseEvent | undefined> {
    for (;;) {
      const queued = this.queue.shift();
      if (queued) return queued;
      const { done, value } = await this.reader.read();
      if (done || !value) return undefined;
      this.buffer += this.decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = this.buffer.indexOf("\n\n")) >= 0) {
        const block = this.buffer.slice(0, cut);
        this.buffer = this.buffer.slice(cut + 2);
        const event: SseEvent = {};
        for (const line of block.split("\n")) {
          const colon = line.indexOf(":");
          if (colon <= 0) continue;
          const field = line.slice(0, colon);
          const value = line.slice(colon + 1).replace(/^ /, "");
          if (field === "id" || field === "event") event[field] = value;
          else if (field === "data") event.data = event.data === undefined ? value : `${event.data}\n${value}`;
        }
        if (event.data !== undefined) this.queue.push(event);
      }
    }
  }

  /** The next `count` record events, parsed. */
  async records(count: number): Promise<{ offset: number; message: string; key: string | null }[]> {
    const out = [];
    while (out.length < count) {
      const event = await this.next();
      if (!event) throw new Error(`stream ended after ${out.length} of ${count} records`);
      if (event.event !== "record") throw new Error(`unexpected event ${JSON.stringify(event)}`);
      const record = JSON.parse(event.data as string);
      if (String(record.offset) !== event.id) throw new Error(`event id ${event.id} differs from offset ${record.offset}`);
      out.push(record);
    }
    return out;
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}
