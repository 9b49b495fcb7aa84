/**
 * Items in the order they last arrived, for a cache that drops its oldest first (the
 * storage caches' shared budget, the Kafka producer states): push (again, to move an
 * item to the back), remove, oldest, each O(1) amortised.
 *
 * Why not a Set or Map in insertion order: finding its oldest entry (keys().next()) walks
 * past every entry deleted since it last rehashed, and such a cache deletes from the
 * front all the time. With one item dropped per arrival it cost 2.9 µs an arrival at
 * 6,000 items and 34 µs at 60,000 (Bun 1.4), against 0.05 µs here at either size.
 */
export interface Queued {
  /** Its place in the queue, -1 when not in one; set by the queue (start it at -1). */
  slot: number;
}

/** Holes tolerated before the array is compacted, beyond as many as it holds items. */
const SLACK_SLOTS = 1024;

export class ArrivalQueue<T extends Queued> {
  /**
   * Oldest first; a removed item leaves a hole (undefined). The item of slot s sits at
   * index s - shifted.
   */
  private items: (T | undefined)[] = [];
  /** Every index below this is a hole. */
  private head = 0;
  /** Slots dropped from the front of `items` by compactions. */
  private shifted = 0;
  private held = 0;

  /** Items queued. */
  get size(): number {
    return this.held;
  }

  /** Puts `item` at the back, taking it from where it was if it was queued. */
  push(item: T): void {
    this.remove(item);
    item.slot = this.shifted + this.items.length;
    this.items.push(item);
    this.held++;
    this.compact();
  }

  /** Takes `item` out; false (and nothing done) when it is not queued here. */
  remove(item: T): boolean {
    const at = item.slot - this.shifted;
    if (item.slot < 0 || this.items[at] !== item) return false;
    this.items[at] = undefined;
    item.slot = -1;
    this.held--;
    return true;
  }

  /** The item that arrived first, left queued. */
  oldest(): T | undefined {
    while (this.head < this.items.length && this.items[this.head] === undefined) this.head++;
    return this.items[this.head];
  }

  /** Drops the holes once they outnumber the items (and SLACK_SLOTS). */
  private compact(): void {
    if (this.items.length - this.held <= this.held + SLACK_SLOTS) return;
    const items = this.items.filter((x): x is T => x !== undefined);
    this.shifted += this.items.length;
    this.items = items;
    this.head = 0;
    items.forEach((x, i) => (x.slot = this.shifted + i));
  }
}
