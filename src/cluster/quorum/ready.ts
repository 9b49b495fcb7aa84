/**
 * The core's output (etcd raft's Ready): what the driver must do, in this order,
 * before it calls QuorumCore.advance(ready):
 *   1. persistState: write the election state to disk (write, fsync, rename);
 *      persistVoters: write the voter set (a directory id was adopted, see
 *      vote-rules.ts) the same way;
 *   2. flushLog: flush the quorum log (appends, truncations, snapshots) to the device;
 *   3. messages: only now send them — a vote granted or requested must never leave
 *      before the state behind it is durable, nor a fetch offset before the entries
 *      it acknowledges (Raft §5.2, KIP-595);
 *   4. applySnapshot: reset the state machine from this snapshot of the log store;
 *   5. committed: apply these entries, in order, to the state machine.
 * Readys are handled one at a time: take the next only after advance() of the last
 * (the core may keep taking input meanwhile; it lands in the next Ready).
 */
import type { QuorumMessage } from "./messages.ts";
import type { ElectionState, Entry, SnapshotId, VoterKey } from "./types.ts";

export interface Ready {
  readonly persistState: ElectionState | null;
  readonly persistVoters: readonly VoterKey[] | null;
  readonly flushLog: boolean;
  readonly messages: readonly QuorumMessage[];
  readonly applySnapshot: SnapshotId | null;
  readonly committed: readonly Entry[];
  /** The log end offset and epoch when this Ready was taken: what flushLog covers. */
  readonly logEndOffset: number;
  readonly epoch: number;
}
