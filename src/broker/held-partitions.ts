import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { PartitionState } from "./topic-catalog.ts";

/**
 * Which partitions this broker has held a log of: one small file per partition folder in
 * `<dataDir>/meta/held/`, named as the folder and holding the topic's id, written when
 * the log is first opened. A partition whose folder is gone while its mark is there lost
 * its log (a folder deleted, a disk partly lost) exactly as a wiped data dir loses it
 * (disk-birth.ts), and is handled the same way (lost-replicas.ts).
 *
 * Why: a missing folder alone means nothing (a partition never written has none), and the
 * data dir's birth only covers a dir wiped whole. Found by a fault probe: with one
 * partition's folder deleted and the broker restarted within seconds, it stayed leader
 * with an empty log and its ISR; the followers truncated their 100 acknowledged records
 * to match it, and new produces were acknowledged at offsets 0 to 4 again.
 *
 * The topic's id in the mark tells a topic deleted and created again under the same name
 * (another log, never held here) from the one whose log was lost.
 */

const HELD_DIR = "held";

/** Partitions marked in this process: a log opened again needs no look at the disk. */
const marked = new WeakSet<PartitionState>();

/**
 * The marks' names per data dir, listed once: most partitions asked about (a new topic's,
 * at every metadata change) have none, and are answered without a look at the disk.
 */
const namesByDir = new Map<string, Set<string>>();

function names(dataDir: string): Set<string> {
  let set = namesByDir.get(dataDir);
  if (set === undefined) {
    try {
      set = new Set(readdirSync(join(dataDir, "meta", HELD_DIR)));
    } catch {
      set = new Set();
    }
    namesByDir.set(dataDir, set);
  }
  return set;
}

/** Whether a mark of the partition's folder name may exist (no disk access once listed); heldBefore says for sure. */
export function mayHaveHeld(dataDir: string, ps: PartitionState): boolean {
  return names(dataDir).has(basename(ps.dir));
}

function markPath(dataDir: string, ps: PartitionState): string {
  return join(dataDir, "meta", HELD_DIR, basename(ps.dir));
}

/** Records that this broker holds the partition's log (idempotent; once per process and partition). */
export function markHeld(dataDir: string, ps: PartitionState): void {
  if (marked.has(ps)) return;
  const path = markPath(dataDir, ps);
  if (readMark(path) !== ps.topicId) {
    mkdirSync(join(dataDir, "meta", HELD_DIR), { recursive: true });
    writeFileSync(path, ps.topicId);
  }
  names(dataDir).add(basename(ps.dir));
  marked.add(ps);
}

/** Whether this broker held a log of this very partition (this topic id) before. */
export function heldBefore(dataDir: string, ps: PartitionState): boolean {
  return readMark(markPath(dataDir, ps)) === ps.topicId;
}

/** Forgets the mark (the partition's folder is deleted with its topic). */
export function forgetHeld(dataDir: string, ps: PartitionState): void {
  marked.delete(ps);
  names(dataDir).delete(basename(ps.dir));
  rmSync(markPath(dataDir, ps), { force: true });
}

function readMark(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
