/**
 * What the cluster layer needs of the broker's metadata store, and nothing more: the
 * store stays the one owner of the metadata's shape and of its file on disk, and the
 * cluster only moves whole versioned snapshots between brokers.
 */
export interface VersionedState<S extends { version: number }> {
  /** The version of the metadata held now (0 before the first change). */
  version(): number;
  /** The metadata held now, as sent to other brokers. */
  snapshot(): S;
  /** Checks that a snapshot received from another broker is well formed (throws INVALID_REQUEST if not). */
  parse(value: unknown): S;
  /**
   * Adopts `snapshot` if its version is newer than the one held, persisting it first;
   * answers whether it was adopted. An older version is ignored, so a broker never goes
   * back to older metadata once it has seen a newer one; an equal version is adopted
   * only with `replaceEqual` (two brokers that numbered different changes alike settle
   * on one of them, see MetadataSync).
   */
  install(snapshot: S, replaceEqual?: boolean): Promise<boolean> | boolean;
  /**
   * A digest of the held metadata (or of `snapshot`): equal versions with different
   * digests are two histories, and every broker must end up holding the same one.
   */
  fingerprint(snapshot?: S): string;
}
