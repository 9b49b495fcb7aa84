import type { ApplyResult, MetadataChange } from "../broker/metadata.ts";
import type { MetadataProposer } from "../broker/metadata-proposer.ts";
import type { MetadataStore } from "../broker/metadata-store.ts";

/**
 * The clustered MetadataProposer: a change goes to the controller (this broker or
 * another), and the proposer resolves once the resulting metadata is in this broker's
 * own store, so the caller reads its change back from any route at once.
 */

/** What the controller answers for one change (it crosses the wire, so no document). */
export interface ChangeOutcome {
  changed: boolean;
  version: number;
}

export interface ChangeSubmitter {
  submit(change: MetadataChange): Promise<ChangeOutcome>;
}

export class ControllerProposer implements MetadataProposer {
  constructor(
    private readonly store: MetadataStore,
    private readonly cluster: ChangeSubmitter,
  ) {}

  async propose(change: MetadataChange): Promise<ApplyResult> {
    const { changed } = await this.cluster.submit(change);
    return { document: this.store.current, changed };
  }
}

/** The controller's side: apply to the local store (which versions and persists it). */
export function applyToStore(store: MetadataStore, change: MetadataChange): ChangeOutcome {
  const { changed, document } = store.apply(change);
  return { changed, version: document.version };
}
