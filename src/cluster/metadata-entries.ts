/**
 * The metadata log's state machine: entries are `{"id", "change"}` JSON, applied in order
 * to the broker's MetadataStore (metadata-store.ts applyCommitted). The id names the
 * client request a change came from; the same id applied again is not applied twice but
 * answered with the first outcome, so that a broker may safely send a change to the
 * leader again when it cannot tell whether an earlier attempt arrived (Raft §8's
 * linearizable client requests, here with a bounded memory of recent ids).
 */
import type { ApplyResult, MetadataChange } from "../broker/metadata.ts";
import { decodeMetadata, encodeMetadata, type MetadataStore } from "../broker/metadata-store.ts";
import type { AppliedOffsetFile } from "./applied-offset-file.ts";
import { parseMetadataChange } from "./change-wire.ts";
import type { QuorumStateMachine } from "./quorum-driver.ts";
import type { Entry } from "./quorum/types.ts";

/** How many recent request ids are remembered (a retry comes within seconds). */
const REMEMBERED_IDS = 10_000;

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export function encodeEntry(id: string, change: MetadataChange): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ id, change }));
}

export class MetadataStateMachine implements QuorumStateMachine {
  private readonly outcomes = new Map<string, Outcome>();

  /** `applied`: where the offset applied so far is recorded, with the metadata quorum's store (metadata-log-replay.ts). */
  constructor(
    private readonly store: () => MetadataStore,
    private readonly applied?: AppliedOffsetFile,
  ) {}

  loadSnapshot(id: { endOffset: number }, bytes: Uint8Array): void {
    // A restart replayed the log past this snapshot already: decoding it again is wasted.
    if (id.endOffset <= this.store().version) return;
    const doc = decodeMetadata(new TextDecoder().decode(bytes), `metadata snapshot ${id.endOffset}`);
    this.store().loadSnapshot({ ...doc, version: id.endOffset });
    this.applied?.write(id.endOffset);
  }

  snapshot(): Uint8Array {
    return new TextEncoder().encode(encodeMetadata(this.store().current));
  }

  apply(entries: readonly Entry[], endOffset: number): Outcome[] {
    // Entries the store holds already (replayed on start) are skipped by applyCommitted;
    // they need no decoding either.
    const held = this.store().version;
    const decoded = entries.map((entry) => (entry.kind === "data" && entry.offset >= held ? decodeEntry(entry.payload) : null));
    // Committed, and flushed to the log before the driver hands them here: a restart may
    // replay up to endOffset at once (applied-offset-file.ts). Recorded before anything
    // acts on them, so that no partition folder a change makes outlives the record.
    this.applied?.write(endOffset);
    // A request id seen before (here or earlier in this batch) is not applied again.
    const seen = new Set<string>();
    const repeats = decoded.map((d) => {
      if (d === null) return false;
      if (d.id === "") return false;
      const repeat = this.outcomes.has(d.id) || seen.has(d.id);
      seen.add(d.id);
      return repeat;
    });
    const results = this.store().applyCommitted(
      decoded.map((d, i) => (d === null || repeats[i] || d.change === undefined ? null : d.change)),
      endOffset,
    );
    return results.map((result, i) => {
      const d = decoded[i];
      if (!d) return result;
      if (repeats[i]) return this.outcomes.get(d.id) ?? result;
      const outcome: Outcome = d.change === undefined ? { ok: false, error: d.error } : result;
      if (d.id !== "") this.remember(d.id, outcome);
      return outcome;
    });
  }

  private remember(id: string, outcome: Outcome): void {
    this.outcomes.set(id, outcome);
    if (this.outcomes.size > REMEMBERED_IDS) {
      const oldest = this.outcomes.keys().next().value;
      if (oldest !== undefined) this.outcomes.delete(oldest);
    }
  }
}

/**
 * An entry's request id and change, or the reason its change cannot be read. A committed
 * entry that does not parse is skipped (the same on every broker, since each reads the
 * same bytes) and answered with that reason: thrown, it stopped the broker, and every
 * restart replayed it into the same stop (a `users revoke xyz` once made a broker that
 * would never start again).
 */
function decodeEntry(payload: Uint8Array): { id: string; change: MetadataChange; error?: undefined } | { id: string; change?: undefined; error: unknown } {
  let value: { id?: unknown; change?: unknown };
  try {
    value = JSON.parse(new TextDecoder().decode(payload)) as { id?: unknown; change?: unknown };
  } catch (error) {
    return { id: "", error };
  }
  const id = typeof value.id === "string" ? value.id : "";
  try {
    return { id, change: parseMetadataChange(value.change) };
  } catch (error) {
    return { id, error };
  }
}

export type { ApplyResult };
