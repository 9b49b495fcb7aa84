/**
 * The bytes that the caches of every partition log of a process may hold together (the
 * tail cache's chunks, the offset index's chunks): while the total is over the limit,
 * items go in order of insertion, by their owner, which then removes them here, except
 * that an item used since it last came to the front gets a second chance and goes to
 * the back (the CLOCK approximation of least recently used). A cache that never touches
 * its items evicts in order of insertion.
 *
 * Why not exact LRU: a touch then moved the item to the back of the set (a delete and
 * an add, two hash operations) on every use, which is every read at a random offset:
 * 0.12 µs over 6,000 chunks touched at random, against 0.006 µs for the store a touch
 * is now (of a ~5 µs read).
 *
 * Why an array with holes, not a Set: finding a Set's oldest item (values().next()) walks
 * past every entry deleted since the Set last rehashed, and a cache deletes from the
 * front all the time: an add that evicted one item cost 2.9 µs at 6,000 items and 34 µs
 * at 60,000 (Bun 1.4), against 0.05 µs here at either size.
 */
export interface BudgetItem {
  readonly bytes: number;
  /** Used since it last came to the front (touch); set by the budget. */
  touched: boolean;
  /** Its place in the budget's queue, -1 when not held; set by the budget (start it at -1). */
  slot: number;
}

/** Holes tolerated before the queue is compacted, beyond as many as it holds items. */
const SLACK_SLOTS = 1024;

export class MemoryBudget<T extends BudgetItem> {
  private usedBytes = 0;
  /**
   * In order of insertion, or of a second chance; a removed item leaves a hole
   * (undefined). Item `slot` sits at index slot - `shifted`.
   */
  private queue: (T | undefined)[] = [];
  /** Index of the first entry that may be an item (all before it are holes). */
  private head = 0;
  /** Slots dropped from the front of `queue` by compactions. */
  private shifted = 0;
  private held = 0;

  constructor(
    readonly limitBytes: number,
    private readonly evict: (oldest: T) => void,
  ) {}

  get used(): number {
    return this.usedBytes;
  }

  add(item: T): void {
    if (item.slot >= 0) this.remove(item);
    item.touched = false;
    this.enqueue(item);
    this.usedBytes += item.bytes;
    this.held++;
    while (this.usedBytes > this.limitBytes) {
      const oldest = this.oldest();
      if (oldest === undefined) break;
      if (oldest.touched && oldest !== item) {
        // Its second chance; every item gets at most one a round, so this ends.
        oldest.touched = false;
        this.queue[oldest.slot - this.shifted] = undefined;
        this.enqueue(oldest);
      } else {
        this.evict(oldest);
        // The owner removes what it evicts; should it not, the item still leaves the budget.
        if (oldest.slot >= 0) this.remove(oldest);
      }
    }
    this.compact();
  }

  /** The item was used: it is passed over once when it comes up for eviction. */
  touch(item: T): void {
    if (item.slot >= 0) item.touched = true;
  }

  remove(item: T): void {
    const at = item.slot - this.shifted;
    if (item.slot < 0 || this.queue[at] !== item) return;
    this.queue[at] = undefined;
    item.slot = -1;
    this.usedBytes -= item.bytes;
    this.held--;
  }

  private enqueue(item: T): void {
    item.slot = this.shifted + this.queue.length;
    this.queue.push(item);
  }

  private oldest(): T | undefined {
    while (this.head < this.queue.length && this.queue[this.head] === undefined) this.head++;
    return this.queue[this.head];
  }

  /** Drops the holes once they outnumber the items (and SLACK_SLOTS): amortised O(1) an add. */
  private compact(): void {
    if (this.queue.length - this.held <= this.held + SLACK_SLOTS) return;
    const items = this.queue.filter((x): x is T => x !== undefined);
    this.shifted += this.queue.length;
    this.queue = items;
    this.head = 0;
    items.forEach((x, i) => (x.slot = this.shifted + i));
  }
}
