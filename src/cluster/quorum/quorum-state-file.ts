/**
 * The quorum's election state on disk (the role of Kafka's FileQuorumStateStore): the
 * epoch, the vote, the known leader and this data directory's id (KIP-853), as one small
 * JSON file replaced atomically — written to a temporary file, fsynced, renamed over the
 * old one, and the directory fsynced — so that a crash leaves the old state or the new,
 * never a torn one. The driver must finish write() before sending any message of the
 * Ready that asked for it.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../../lib/errors.ts";
import { type ElectionState, INITIAL_ELECTION_STATE } from "./types.ts";

export const QUORUM_STATE_FILE = "quorum-state.json";
const FORMAT_VERSION = 1;

export interface StoredQuorumState {
  readonly directoryId: string;
  readonly state: ElectionState;
}

export class QuorumStateFile {
  readonly path: string;

  private constructor(
    readonly dir: string,
    readonly directoryId: string,
  ) {
    this.path = join(dir, QUORUM_STATE_FILE);
  }

  /** Opens the state in dir; a directory without one is new: it gets a fresh directory
   * id, written before anything else so that the id survives the first crash. */
  static open(dir: string, newDirectoryId: () => string): { file: QuorumStateFile; state: ElectionState } {
    mkdirSync(dir, { recursive: true });
    const stored = readQuorumState(join(dir, QUORUM_STATE_FILE));
    if (stored) return { file: new QuorumStateFile(dir, stored.directoryId), state: stored.state };
    const file = new QuorumStateFile(dir, newDirectoryId());
    file.write(INITIAL_ELECTION_STATE);
    return { file, state: INITIAL_ELECTION_STATE };
  }

  write(state: ElectionState): void {
    const body = JSON.stringify({ version: FORMAT_VERSION, directoryId: this.directoryId, ...state });
    const temporary = `${this.path}.tmp`;
    try {
      const fd = openSync(temporary, "w");
      try {
        writeSync(fd, body);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, this.path);
      // The rename itself is durable only once the directory entry is flushed.
      const dirFd = openSync(this.dir, "r");
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    } catch (error) {
      throw new StreamNestError("STORAGE_ERROR", `cannot write the quorum state to ${this.path}: ${(error as Error).message}`);
    }
  }
}

export function readQuorumState(path: string): StoredQuorumState | null {
  if (!existsSync(path)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new StreamNestError("CORRUPT_RECORD", `the quorum state file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const doc = parsed as Record<string, unknown>;
  const intOrNull = (v: unknown) => v === null || (Number.isSafeInteger(v) && (v as number) >= 0);
  const stringOrNull = (v: unknown) => v === null || typeof v === "string";
  const valid =
    typeof doc === "object" && doc !== null &&
    doc.version === FORMAT_VERSION &&
    typeof doc.directoryId === "string" && doc.directoryId.length > 0 &&
    Number.isSafeInteger(doc.epoch) && (doc.epoch as number) >= 0 &&
    intOrNull(doc.leaderId) && intOrNull(doc.votedId) && stringOrNull(doc.votedDirectoryId);
  if (!valid) throw new StreamNestError("CORRUPT_RECORD", `the quorum state file ${path} does not hold a valid quorum state`);
  return {
    directoryId: doc.directoryId as string,
    state: {
      epoch: doc.epoch as number,
      leaderId: doc.leaderId as number | null,
      votedId: doc.votedId as number | null,
      votedDirectoryId: doc.votedDirectoryId as string | null,
    },
  };
}
