import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../lib/errors.ts";
import { storageFailure } from "../storage/storage-failure.ts";
import { topicNameProblem } from "../lib/topic-name.ts";
import { type SecurityState, securityStateFromJSON, securityStateToJSON, type SecurityStateJSON } from "../auth/security-state.ts";
import {
  applyChange,
  emptyMetadata,
  sortBrokers,
  type ApplyResult,
  type BrokerRef,
  type MetadataChange,
  type MetadataDocument,
  type TopicMetadata,
} from "./metadata.ts";
import { TopicMap } from "./topic-map.ts";

/**
 * The broker's copy of the cluster metadata, kept in `<dataDir>/meta/metadata.json`.
 * Every change goes through `apply` (or, for a whole newer document pulled from a peer,
 * `adopt`): it is persisted atomically (write a temporary file, fsync, rename, fsync
 * the folder) before anyone is told, so a crash leaves either the old or the new
 * document, never half of one.
 *
 * With the metadata quorum the log and its snapshots are the durable state instead
 * (cluster/metadata-log-replay.ts rebuilds the store from them on start): the store is
 * opened with `writeDocument: false` and never rewrites metadata.json, whose cost grew
 * with every topic (the whole document encoded and fsynced per change); the file is then
 * only the upgrade source a release before the quorum left behind.
 */

export const METADATA_FILE = "metadata.json";
const FORMAT = 1;

/**
 * `touched`: the names of the topics whose record the change (or batch of changes) may
 * have altered, so that a listener can update only those; undefined when the whole
 * document may differ (adopt, snapshot), and the listener must look at every topic.
 */
export type MetadataListener = (
  document: MetadataDocument,
  change: MetadataChange | undefined,
  previous: MetadataDocument,
  touched: ReadonlySet<string> | undefined,
) => void;

export interface MetadataStoreOptions {
  /** Read metadata.json if present (default true). */
  readDocument?: boolean;
  /** Rewrite metadata.json on every change (default true); false with the metadata quorum. */
  writeDocument?: boolean;
}

/** The topics a change names; undefined for a change of the broker list (no topic record changes). */
export function topicOf(change: MetadataChange): string | undefined {
  return "topic" in change ? change.topic : undefined;
}

interface PersistedMetadata {
  format: number;
  version: number;
  brokers: BrokerRef[];
  topics: TopicMetadata[];
  /** Present once a user, token or ACL exists (so documents without any read as before). */
  security?: SecurityStateJSON;
}

export class MetadataStore {
  private doc: MetadataDocument;
  private readonly listeners = new Set<MetadataListener>();

  private constructor(
    readonly dir: string,
    doc: MetadataDocument,
    private readonly writeDocument: boolean,
  ) {
    this.doc = doc;
  }

  /** Reads the persisted document, or starts an empty one knowing `brokers`. */
  static open(dir: string, brokers: BrokerRef[] = [], options: MetadataStoreOptions = {}): MetadataStore {
    const writeDocument = options.writeDocument ?? true;
    mkdirSync(dir, { recursive: true });
    const file = join(dir, METADATA_FILE);
    if (writeDocument) rmSync(`${file}.tmp`, { force: true });
    if (options.readDocument === false || !existsSync(file)) return new MetadataStore(dir, emptyMetadata(brokers), writeDocument);
    return new MetadataStore(dir, decodeMetadata(readFileSync(file, "utf8"), file), writeDocument);
  }

  get current(): MetadataDocument {
    return this.doc;
  }

  get version(): number {
    return this.doc.version;
  }

  topic(name: string): TopicMetadata | undefined {
    return this.doc.topics.get(name);
  }

  /** Applies, persists, then notifies. Throws (changing nothing) if the change conflicts. */
  apply(change: MetadataChange): ApplyResult {
    const previous = this.doc;
    const result = applyChange(previous, change);
    if (!result.changed) return result;
    this.persist(result.document);
    this.doc = result.document;
    const topic = topicOf(change);
    this.notify(change, previous, new Set(topic === undefined ? [] : [topic]));
    return result;
  }

  /**
   * Replaces the document with a newer one (e.g. pulled from a peer on start). Older
   * versions are ignored, and so are equal ones unless `replaceEqual` (a peer's document
   * of the same version that won the tie-break); returns whether it was adopted.
   */
  adopt(document: MetadataDocument, replaceEqual = false): boolean {
    if (document.version < this.doc.version || (document.version === this.doc.version && !replaceEqual)) return false;
    const previous = this.doc;
    this.persist(document);
    this.doc = document;
    this.notify(undefined, previous, undefined);
    return true;
  }

  /**
   * Applies changes committed in order by the metadata quorum, then persists once: the
   * version becomes `version` (the committed offset), whatever each change did. A null
   * stands for an entry that changes nothing but the offset (a leader-change marker). A
   * conflicting change is refused with the same error on every broker and skipped; each
   * change's outcome is answered in order. Versions at or below the held one were
   * applied before (a restart replays them) and are skipped whole.
   *
   * The topic map is never copied whole (applyChange copies it for each change): each
   * change is decided against its own topic's record, and the batch's records make the
   * next version of a TopicMap (topic-map.ts), whose cost follows what changed.
   */
  applyCommitted(changes: ReadonlyArray<MetadataChange | null>, version: number): Array<{ ok: true; value: ApplyResult } | { ok: false; error: unknown }> {
    const firstVersion = version - changes.length;
    const previous = this.doc;
    let doc = previous;
    let last: MetadataChange | undefined;
    // The records this batch changed (null: deleted), read before the document's.
    const changed = new Map<string, TopicMetadata | null>();
    const recordOf = (topic: string): TopicMetadata | undefined => (changed.has(topic) ? (changed.get(topic) ?? undefined) : previous.topics.get(topic));
    const outcomes = changes.map((change, i): { ok: true; value: ApplyResult } | { ok: false; error: unknown } => {
      if (firstVersion + i + 1 <= previous.version) return { ok: true, value: { document: previous, changed: false } };
      if (change === null) return { ok: true, value: { document: doc, changed: false } };
      try {
        // Every change reads no topic record but its own: applyChange gets only that one,
        // so its copy of the topic map costs one entry.
        const topic = topicOf(change);
        const record = topic === undefined ? undefined : recordOf(topic);
        const result = applyChange(
          { version: doc.version, brokers: doc.brokers, topics: new Map(topic && record ? [[topic, record]] : []), ...withSecurity(doc.security) },
          change,
        );
        if (result.changed) {
          last = change;
          if (topic !== undefined) changed.set(topic, result.document.topics.get(topic) ?? null);
          doc = { version: result.document.version, brokers: result.document.brokers, topics: previous.topics, ...withSecurity(result.document.security) };
        }
        return { ok: true, value: { document: doc, changed: result.changed } };
      } catch (error) {
        return { ok: false, error };
      }
    });
    if (version <= previous.version) return outcomes;
    const topics = changed.size === 0 ? previous.topics : TopicMap.of(previous.topics).with(changed);
    // Users, tokens and ACLs (a `security` change) are carried along like the broker list.
    const next: MetadataDocument = { version, brokers: doc.brokers, topics, ...withSecurity(doc.security) };
    const touched = new Set(changed.keys());
    this.persist(next);
    this.doc = next;
    this.notify(last, previous, touched);
    return outcomes.map((o) => (o.ok ? { ok: true, value: { ...o.value, document: next } } : o));
  }

  /** Replaces the document by a snapshot of a later version (quorum snapshot). */
  loadSnapshot(document: MetadataDocument): void {
    if (document.version <= this.doc.version) return;
    const previous = this.doc;
    this.persist(document);
    this.doc = document;
    this.notify(undefined, previous, undefined);
  }

  /** Called after every persisted change; `change` is undefined for `adopt`. */
  onChange(listener: MetadataListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(change: MetadataChange | undefined, previous: MetadataDocument, touched: ReadonlySet<string> | undefined): void {
    for (const listener of this.listeners) listener(this.doc, change, previous, touched);
  }

  private persist(document: MetadataDocument): void {
    if (!this.writeDocument) return;
    const file = join(this.dir, METADATA_FILE);
    const tmp = `${file}.tmp`;
    try {
      const fd = openSync(tmp, "w");
      try {
        // A write may take only part of the bytes (a nearly full disk): the rest is written, or its error thrown, before the rename.
        for (let data = Buffer.from(encodeMetadata(document)), done = 0; done < data.length; ) done += writeSync(fd, data, done);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
      syncDir(this.dir);
    } catch (error) {
      rmSync(tmp, { force: true });
      // A full disk is 507 STORAGE_FULL as for a produce; the path is named inside the data dir only.
      throw storageFailure(error, `writing meta/${METADATA_FILE}`);
    }
  }
}

/** The security field of a document, absent when there is none (documents without one read as before). */
function withSecurity(security: SecurityState | undefined): { security?: SecurityState } {
  return security === undefined ? {} : { security };
}

export function encodeMetadata(document: MetadataDocument): string {
  const persisted: PersistedMetadata = {
    format: FORMAT,
    version: document.version,
    brokers: [...document.brokers],
    topics: [...document.topics.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
  const security = document.security;
  if (security !== undefined && (security.users.size > 0 || security.tokens.size > 0 || security.acls.size > 0))
    persisted.security = securityStateToJSON(security);
  return JSON.stringify(persisted);
}

export function decodeMetadata(text: string, source = "metadata"): MetadataDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StreamNestError("STORAGE_ERROR", `${source} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isPersisted(parsed)) throw new StreamNestError("STORAGE_ERROR", `${source} is not a StreamNest metadata document`);
  if (parsed.format !== FORMAT)
    throw new StreamNestError("STORAGE_ERROR", `${source} has format ${parsed.format}; this build reads format ${FORMAT}`);
  const topics = new Map<string, TopicMetadata>();
  for (const topic of parsed.topics) {
    // A name read from disk still becomes a folder name: check it like any input.
    const problem = topicNameProblem(topic.name);
    if (problem) throw new StreamNestError("STORAGE_ERROR", `${source} holds an illegal topic name: ${problem}`);
    topics.set(topic.name, topic);
  }
  const base: MetadataDocument = { version: parsed.version, brokers: sortBrokers(parsed.brokers), topics };
  if (parsed.security === undefined) return base;
  try {
    return { ...base, security: securityStateFromJSON(parsed.security) };
  } catch (error) {
    throw new StreamNestError("STORAGE_ERROR", `${source} holds an invalid security state: ${(error as Error).message}`);
  }
}

function isPersisted(value: unknown): value is PersistedMetadata {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.format === "number" &&
    typeof v.version === "number" &&
    Array.isArray(v.brokers) &&
    Array.isArray(v.topics) &&
    v.topics.every(
      (t: unknown) =>
        typeof t === "object" &&
        t !== null &&
        typeof (t as TopicMetadata).name === "string" &&
        Array.isArray((t as TopicMetadata).partitions) &&
        Array.isArray((t as TopicMetadata).schemas),
    )
  );
}

/** Makes a rename durable: the folder entry itself must reach the device. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // some platforms cannot open or fsync a folder; the rename is still atomic there
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
