import type { ApplyResult, MetadataChange } from "./metadata.ts";
import type { MetadataStore } from "./metadata-store.ts";

/**
 * The seam where a metadata change enters the cluster. The broker never writes
 * metadata itself: it proposes a change and waits until it is in its own store.
 * Single broker: applied locally at once. Clustered: the controller implementation
 * orders it, persists it, pushes it to peers, and a non-controller forwards the change
 * to the controller and resolves once the resulting version has reached its own store.
 */
export interface MetadataProposer {
  propose(change: MetadataChange): Promise<ApplyResult>;
  /**
   * Resolves once this broker has applied every change committed before the call (true),
   * or after a bounded wait (false: a broker cut off from the quorum cannot know). Absent
   * where the store is the only copy.
   */
  catchUp?(): Promise<boolean>;
}

export class LocalMetadataProposer implements MetadataProposer {
  constructor(private readonly store: MetadataStore) {}

  async propose(change: MetadataChange): Promise<ApplyResult> {
    return this.store.apply(change);
  }
}
