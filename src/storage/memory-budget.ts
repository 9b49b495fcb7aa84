/**
 * The bytes that the caches of every partition log of a process may hold together (the
 * tail cache's chunks, the offset index's chunks): items are kept in order of use, and
 * while the total is over the limit the least recently used goes first, by its owner,
 * which then removes it here. A cache that never touches its items evicts in order of
 * insertion.
 */
export class MemoryBudget<T extends { readonly bytes: number }> {
  private usedBytes = 0;
  /** Least recently used first. */
  private readonly items = new Set<T>();

  constructor(
    readonly limitBytes: number,
    private readonly evict: (oldest: T) => void,
  ) {}

  get used(): number {
    return this.usedBytes;
  }

  add(item: T): void {
    this.items.add(item);
    this.usedBytes += item.bytes;
    while (this.usedBytes > this.limitBytes) {
      const oldest = this.items.values().next().value;
      if (oldest === undefined) break;
      this.evict(oldest);
    }
  }

  /** The item was used: it goes last in line. */
  touch(item: T): void {
    if (this.items.delete(item)) this.items.add(item);
  }

  remove(item: T): void {
    if (this.items.delete(item)) this.usedBytes -= item.bytes;
  }
}
