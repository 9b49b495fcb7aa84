/**
 * How a broker's metadata starts with the quorum: from the metadata log, not from
 * meta/metadata.json. The log and its snapshots are the durable state (KRaft's
 * __cluster_metadata: a broker loads the latest snapshot and replays the log after it),
 * so the store never rewrites the whole document per change.
 *
 *   - a data dir whose log holds a snapshot or entries: the store starts empty, loads the
 *     latest snapshot, then applies the entries below the recorded applied offset
 *     (applied-offset-file.ts; every one of them committed), at once, before a leader
 *     is reachable; the rest arrives with the leader's high watermark;
 *   - a data dir without a log (new, or written by a release before the quorum): the
 *     store starts from metadata.json if there is one, and that document becomes the
 *     log's first snapshot (quorum-formation.ts seedLogFromLegacyMetadata, or
 *     seedOpenLog below when a crash left the log's folder but nothing in it).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { BrokerRef } from "../broker/metadata.ts";
import { StreamNestError } from "../lib/errors.ts";
import { encodeMetadata, MetadataStore } from "../broker/metadata-store.ts";
import { METADATA_LOG_DIR, QuorumDiskLog } from "./quorum-disk-log.ts";
import type { QuorumStateMachine } from "./quorum-driver.ts";

/** Entries applied per call while replaying, so that no batch array grows with the log. */
const REPLAY_BATCH = 1000;

export interface OpenedMetadata {
  store: MetadataStore;
  /** The metadata log, opened, when the data dir has one (handed to the quorum driver). */
  log: QuorumDiskLog | undefined;
  /** True when the log is the source of the metadata (it holds a snapshot or entries). */
  fromLog: boolean;
}

/** Opens the store for the quorum: never writing metadata.json, reading it only when there is no log to read. */
export function openQuorumMetadata(metaDir: string, brokers: BrokerRef[], warn?: (message: string) => void): OpenedMetadata {
  const logDir = join(metaDir, METADATA_LOG_DIR);
  const log = existsSync(logDir) ? QuorumDiskLog.open(logDir, (m) => warn?.(m)) : undefined;
  const fromLog = log !== undefined && (log.latestSnapshot() !== null || log.endOffset() > 0);
  const store = MetadataStore.open(metaDir, brokers, { writeDocument: false, readDocument: !fromLog });
  return { store, log, fromLog };
}

/**
 * Rebuilds the applied state from `log`: its latest snapshot, then its entries below
 * `appliedOffset`, applied in order through `machine`, as the driver would hand them out
 * once committed. Answers the offset reached.
 *
 * A log ending before `appliedOffset` lost entries that were committed (the offset is
 * only written once the log holding them was flushed): a byte changed mid-log, or a file
 * cut short, that the storage engine's recovery truncated. The start is refused rather
 * than served from the shorter log: the store would name fewer topics than were created,
 * and the broker's start removes the partition folders its metadata does not name.
 */
export function replayCommitted(log: QuorumDiskLog, machine: QuorumStateMachine, appliedOffset: number): number {
  if (appliedOffset > log.endOffset()) {
    throw new StreamNestError(
      "CORRUPT_RECORD",
      `the metadata log ${log.dir} ends at offset ${log.endOffset()} but entries up to offset ${appliedOffset} were committed and applied: ` +
        "it lost committed entries (see the recovery lines above); the broker does not start from it",
    );
  }
  let reached = 0;
  const snapshot = log.latestSnapshot();
  if (snapshot) {
    const bytes = log.readSnapshot(snapshot);
    if (bytes) {
      try {
        machine.loadSnapshot(snapshot, bytes);
      } catch (error) {
        // The snapshot stands for every entry before its end, which the log no longer holds.
        const why = error instanceof Error ? error.message : String(error);
        throw new StreamNestError("CORRUPT_RECORD", `the metadata snapshot ${log.snapshotPath(snapshot)} is damaged (${why}); the broker does not start from it`);
      }
      reached = snapshot.endOffset;
    }
  }
  const end = appliedOffset;
  for (let from = Math.max(reached, log.startOffset()); from < end; ) {
    const entries = log.read(from, Math.min(REPLAY_BATCH, end - from));
    if (entries.length === 0) break;
    from += entries.length;
    machine.apply(entries, from);
    reached = from;
  }
  return reached;
}

/**
 * A log folder left empty (a crash while the log was being seeded from metadata.json):
 * seeds it now, as seedLogFromLegacyMetadata does for a data dir without one. Answers
 * whether it did.
 */
export async function seedOpenLog(log: QuorumDiskLog, store: MetadataStore): Promise<boolean> {
  if (log.latestSnapshot() !== null || log.endOffset() > 0 || store.version === 0) return false;
  log.installSnapshot({ endOffset: store.version, epoch: 0 }, new TextEncoder().encode(encodeMetadata(store.current)));
  await log.persist();
  return true;
}
