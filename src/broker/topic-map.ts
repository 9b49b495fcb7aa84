import type { TopicMetadata } from "./metadata.ts";

/**
 * The topics of one metadata document as a read-only map whose next version costs what
 * changed, not what is held. Each document must stay as it was (listeners and readers
 * hold older ones), and copying a Map of 10,000 topics per change cost about 1 ms (10 ms
 * at 100,000), once per change on every broker.
 *
 * A version is a shared base Map, never changed, plus a small overlay of the topics
 * changed since (a record, or null for a deleted one). The next version copies only the
 * overlay; once the overlay outgrows the square root of the topic count it is merged
 * into a new base, so a change costs O(√n) amortized. Iterating builds the whole map
 * once per version (iteration is O(n) anyway), and that map becomes the next version's
 * base for free.
 */
export class TopicMap implements ReadonlyMap<string, TopicMetadata> {
  /** This version as one Map, built on first iteration. */
  private whole: Map<string, TopicMetadata> | undefined;

  private constructor(
    private readonly base: ReadonlyMap<string, TopicMetadata>,
    private readonly overlay: ReadonlyMap<string, TopicMetadata | null>,
    readonly size: number,
  ) {
    if (overlay.size === 0 && base instanceof Map) this.whole = base;
  }

  /** Wraps `topics`, which must not change afterwards. */
  static of(topics: ReadonlyMap<string, TopicMetadata>): TopicMap {
    return topics instanceof TopicMap ? topics : new TopicMap(topics, new Map(), topics.size);
  }

  /** The next version: each name set to its record, or removed for null. */
  with(changes: ReadonlyMap<string, TopicMetadata | null>): TopicMap {
    if (changes.size === 0) return this;
    let size = this.size;
    for (const [name, record] of changes) size += (record === null ? 0 : 1) - (this.has(name) ? 1 : 0);
    const base = this.whole ?? this.base;
    const overlay = new Map(this.whole ? [] : this.overlay);
    for (const [name, record] of changes) overlay.set(name, record);
    if (overlay.size * overlay.size <= Math.max(size, 64)) return new TopicMap(base, overlay, size);
    return new TopicMap(merge(base, overlay), new Map(), size);
  }

  get(name: string): TopicMetadata | undefined {
    const changed = this.overlay.get(name);
    if (changed !== undefined) return changed ?? undefined;
    return this.base.get(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  forEach(callback: (value: TopicMetadata, key: string, map: ReadonlyMap<string, TopicMetadata>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.all()) callback.call(thisArg, value, key, this);
  }

  entries(): MapIterator<[string, TopicMetadata]> {
    return this.all().entries();
  }

  keys(): MapIterator<string> {
    return this.all().keys();
  }

  values(): MapIterator<TopicMetadata> {
    return this.all().values();
  }

  [Symbol.iterator](): MapIterator<[string, TopicMetadata]> {
    return this.all().entries();
  }

  private all(): Map<string, TopicMetadata> {
    this.whole ??= merge(this.base, this.overlay);
    return this.whole;
  }
}

/** The base with the overlay applied: a changed topic keeps its place, a new one comes last. */
function merge(base: ReadonlyMap<string, TopicMetadata>, overlay: ReadonlyMap<string, TopicMetadata | null>): Map<string, TopicMetadata> {
  const merged = new Map(base);
  for (const [name, record] of overlay) {
    if (record === null) merged.delete(name);
    else merged.set(name, record);
  }
  return merged;
}
