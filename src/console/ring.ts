/**
 * A bounded list of the newest rows: a live tail at 1,000 msg/s appends in batches (one
 * per animation frame) and the page never holds more than `capacity` rows.
 */
export class Ring<T> {
  private items: T[] = [];
  /** Rows pushed out to keep the bound, since creation. */
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError("capacity must be a positive integer");
  }

  pushAll(values: readonly T[]): void {
    if (values.length === 0) return;
    const next = this.items.concat(values);
    const over = next.length - this.capacity;
    if (over > 0) {
      this.dropped += over;
      this.items = next.slice(over);
    } else this.items = next;
  }

  /** The rows, oldest first; a new array after each change, so views can compare by identity. */
  get rows(): readonly T[] {
    return this.items;
  }

  get size(): number {
    return this.items.length;
  }

  clear(): void {
    this.items = [];
  }
}
