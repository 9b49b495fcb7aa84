/**
 * Nonces seen within the freshness window of signed requests. A request whose timestamp is
 * outside the window is refused before it gets here, so a nonce need be kept only as long as
 * its request could still be fresh: entries are forgotten 2 × window after they were seen
 * (a timestamp is at most one window ahead of the clock, and stays fresh one window past it).
 * Insertion order is expiry order (one window length for all), so pruning is from the front.
 */
export class NonceReplayCache {
  readonly #seen = new Map<string, number>();

  constructor(
    readonly windowMs: number,
    readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.#seen.size;
  }

  /** "fresh" records the nonce; "replayed" if already seen; "full" if at capacity (refuse, do not forget). */
  record(nonce: string, now: number): "fresh" | "replayed" | "full" {
    this.#prune(now);
    if (this.#seen.has(nonce)) return "replayed";
    // Evicting a live nonce would reopen it to replay; refusing is the safe answer.
    if (this.#seen.size >= this.maxEntries) return "full";
    this.#seen.set(nonce, now + 2 * this.windowMs);
    return "fresh";
  }

  #prune(now: number): void {
    for (const [nonce, expiresAt] of this.#seen) {
      if (expiresAt >= now) break;
      this.#seen.delete(nonce);
    }
  }
}
