/**
 * Nonces seen within the freshness window of signed requests. A request whose timestamp is
 * outside the window is refused before it gets here, so a nonce need be kept only as long as
 * its request could still be fresh: entries are forgotten 2 × window after they were seen
 * (a timestamp is at most one window ahead of the clock, and stays fresh one window past it).
 * Insertion order is expiry order (one window length for all), so pruning is from the front.
 */
export class NonceReplayCache {
  readonly #seen = new Set<string>();
  /**
   * The nonces in the order seen, with their expiry, from #head on. Not the Set's own
   * order: starting an iteration of a Set walks past every entry deleted since it last
   * rehashed, and pruning deletes from the front on every call. At 1,000 signed calls a
   * second (60,000 nonces live) a call cost 13.6 µs here, at 3,000 26 µs; now 1.2 and 1.4 µs.
   */
  #order: string[] = [];
  #expiry: number[] = [];
  #head = 0;

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
    this.#seen.add(nonce);
    this.#order.push(nonce);
    this.#expiry.push(now + 2 * this.windowMs);
    return "fresh";
  }

  #prune(now: number): void {
    let head = this.#head;
    while (head < this.#order.length && this.#expiry[head] < now) {
      this.#seen.delete(this.#order[head]);
      head++;
    }
    // The pruned front goes once it is most of the arrays.
    if (head > 1024 && head * 2 > this.#order.length) {
      this.#order = this.#order.slice(head);
      this.#expiry = this.#expiry.slice(head);
      head = 0;
    }
    this.#head = head;
  }
}
