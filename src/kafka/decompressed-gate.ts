/**
 * A bound on the decompressed Produce records the broker holds at once, across every
 * connection (KAFKA_LIMITS.maxDecompressedInFlightBytes). A compressed batch can carry
 * hundreds of times its size: a Produce partition waits here before decompressing until
 * what is held is under the bound, then holds what it decompressed until its append is
 * answered. Waiters go in arrival order, one at a time: each is let in only once the one
 * before it has decompressed (synchronously) and counted its bytes, so what is held never
 * passes the bound by more than one batch.
 */
export interface GateTicket {
  /** Counts the bytes this produce decompressed as held. */
  hold(bytes: number): void;
  /** Gives them back and lets the next waiter in; call once, in a finally. */
  release(): void;
}

export class DecompressedGate {
  private held = 0;
  /** A ticket let in that has not yet held or released: the next waits for it. */
  private admitting = false;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limitBytes: number) {}

  /** Bytes held now. */
  get heldBytes(): number {
    return this.held;
  }

  /** Waiters not yet let in. */
  get waiters(): number {
    return this.waiting.length;
  }

  /** A ticket, at once while there is room and nobody is ahead, else in turn. */
  async enter(): Promise<GateTicket> {
    if (this.admitting || this.held >= this.limitBytes || this.waiting.length > 0) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.admitting = true;
    let bytes = 0;
    let state: "admitted" | "holding" | "released" = "admitted";
    return {
      hold: (n) => {
        if (state !== "admitted") return;
        state = "holding";
        bytes = n;
        this.held += n;
        this.admitting = false;
        this.wake();
      },
      release: () => {
        if (state === "released") return;
        if (state === "admitted") this.admitting = false;
        state = "released";
        this.held -= bytes;
        this.wake();
      },
    };
  }

  private wake(): void {
    if (this.admitting || this.held >= this.limitBytes) return;
    const next = this.waiting.shift();
    if (next === undefined) return;
    // Let in now, before its continuation runs, so a release in between does not let in a second one.
    this.admitting = true;
    next();
  }
}
