import type { Socket } from "node:net";

/**
 * One direction of a proxied connection: bytes read from `from` are written to `to`, in
 * order, each chunk no earlier than the link's delay after it was read. While held (a
 * cut in blackhole mode, or the dropped half of a one-way link) nothing is written and
 * `from` is no longer read, so the sender's kernel buffers fill as they would when its
 * packets go unacknowledged. Held bytes are kept, not discarded: TCP retransmits what a
 * partition swallowed, so a connection that outlives the fault sees its bytes late but
 * never sees a gap in the stream (a gap is something no real network can produce).
 */
export class FaultPipe {
  /** Bytes written to `to` so far. */
  delivered = 0;
  private readonly queue: { chunk: Buffer; due: number }[] = [];
  private queuedBytes = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private held = false;
  private awaitingDrain = false;
  private sourceEnded = false;
  private finished = false;
  private reading = true;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly delayMs: () => number,
    /** Above this many queued bytes the source is no longer read (memory stays bounded). */
    /** Bytes read from `from` before this pipe existed, to be delivered first. */
    initial: Buffer[] = [],
    private readonly highWaterBytes = 1 << 20,
  ) {
    for (const chunk of initial) this.push(chunk);
    from.on("data", (chunk: Buffer) => this.push(chunk));
    from.on("end", () => {
      this.sourceEnded = true;
      this.pump();
    });
    to.on("drain", () => {
      this.awaitingDrain = false;
      this.pump();
    });
  }

  hold(): void {
    this.held = true;
    this.clearTimer();
    this.updateReading();
  }

  release(): void {
    this.held = false;
    this.pump();
  }

  /** Stops for good (the connection is being torn down). */
  stop(): void {
    this.finished = true;
    this.clearTimer();
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private push(chunk: Buffer): void {
    if (this.finished) return;
    // The queue is delivered strictly from its head, so a delay lowered mid-stream makes
    // a later chunk wait for the earlier ones rather than overtake them.
    this.queue.push({ chunk, due: performance.now() + this.delayMs() });
    this.queuedBytes += chunk.length;
    this.pump();
  }

  private pump(): void {
    if (this.finished) return;
    this.clearTimer();
    if (!this.held) {
      const now = performance.now();
      while (!this.awaitingDrain && this.queue.length > 0 && this.queue[0].due <= now) {
        const { chunk } = this.queue.shift()!;
        this.queuedBytes -= chunk.length;
        this.delivered += chunk.length;
        if (!this.to.write(chunk)) this.awaitingDrain = true;
      }
      if (this.queue.length > 0 && !this.awaitingDrain) {
        this.timer = setTimeout(() => this.pump(), Math.max(0, this.queue[0].due - now));
      }
      if (this.queue.length === 0 && this.sourceEnded) {
        // Half-close passes through once every byte before it has been delivered.
        this.finished = true;
        this.to.end();
      }
    }
    this.updateReading();
  }

  private updateReading(): void {
    const read = !this.held && !this.awaitingDrain && this.queuedBytes < this.highWaterBytes;
    if (read === this.reading) return;
    this.reading = read;
    if (read) this.from.resume();
    else this.from.pause();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
