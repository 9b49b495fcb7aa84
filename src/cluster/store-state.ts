import { createHash } from "node:crypto";
import { StreamNestError } from "../lib/errors.ts";
import type { MetadataDocument } from "../broker/metadata.ts";
import { decodeMetadata, encodeMetadata, type MetadataStore } from "../broker/metadata-store.ts";
import type { VersionedState } from "./shared-state.ts";

/**
 * The broker's MetadataStore seen as a VersionedState: snapshots travel between brokers
 * in the store's own persisted form (so a peer's file and the wire never disagree), and
 * a received one is checked by the store's own decoder before it is adopted.
 */

/** The persisted metadata document as JSON (see encodeMetadata). */
export interface MetadataWire {
  version: number;
  [field: string]: unknown;
}

export class StoreState implements VersionedState<MetadataWire> {
  private store: MetadataStore | undefined;
  private cached: { doc: MetadataDocument; wire: MetadataWire; fingerprint: string } | undefined;

  /** The store exists only once the broker has opened its data dir. */
  bind(store: MetadataStore): void {
    this.store = store;
  }

  private get bound(): MetadataStore {
    if (!this.store) throw new StreamNestError("LEADER_UNAVAILABLE", "this broker is still starting (no metadata yet)");
    return this.store;
  }

  version(): number {
    return this.store?.version ?? 0;
  }

  snapshot(): MetadataWire {
    return this.current().wire;
  }

  fingerprint(snapshot?: MetadataWire): string {
    if (snapshot === undefined) return this.current().fingerprint;
    return digest(encodeMetadata(decodeWire(snapshot)));
  }

  private current(): { wire: MetadataWire; fingerprint: string } {
    const doc = this.bound.current;
    if (this.cached?.doc !== doc) {
      const text = encodeMetadata(doc);
      this.cached = { doc, wire: JSON.parse(text) as MetadataWire, fingerprint: digest(text) };
    }
    return this.cached;
  }

  parse(value: unknown): MetadataWire {
    decodeWire(value);
    return value as MetadataWire;
  }

  install(snapshot: MetadataWire, replaceEqual = false): boolean {
    return this.bound.adopt(decodeWire(snapshot), replaceEqual);
  }
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function decodeWire(value: unknown): MetadataDocument {
  try {
    return decodeMetadata(JSON.stringify(value), "the metadata received");
  } catch (error) {
    if (error instanceof StreamNestError) throw new StreamNestError("INVALID_REQUEST", error.message);
    throw error;
  }
}
