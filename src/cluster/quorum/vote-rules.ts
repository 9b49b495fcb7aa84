/**
 * The pure rules behind a vote (Raft §5.2 and §5.4.1; KIP-595; KIP-996; KIP-853).
 */
import type { NodeId, VoterKey } from "./types.ts";

/** Raft's election restriction: grant only to a candidate whose log ends in a later
 * epoch, or in the same epoch at least as far (KIP-595 compares last epoch, then
 * end offset). */
export function candidateLogIsUpToDate(
  candidate: { lastEpoch: number; lastOffset: number },
  own: { lastEpoch: number; endOffset: number },
): boolean {
  if (candidate.lastEpoch !== own.lastEpoch) return candidate.lastEpoch > own.lastEpoch;
  return candidate.lastOffset >= own.endOffset;
}

/** Whether (id, directoryId) is one of the static voters. A voter recorded without a
 * directory id accepts any; one recorded with one accepts only that disk (KIP-853). */
export function isVoter(voters: readonly VoterKey[], id: NodeId, directoryId: string | null): boolean {
  return voters.some((v) => v.id === id && (v.directoryId === null || v.directoryId === directoryId));
}

/**
 * Adoption of a directory id by a voter recorded without one (a voters file written
 * before directory ids were recorded). KIP-853 treats a static voter of unknown directory
 * id as "any directory"; this goes one step further: the first directory id this node
 * hears from that voter (its own at start, others' in a Vote or PreVote they send, a
 * Fetch or FetchSnapshot on the leader) is recorded, durably before anything that relies
 * on it leaves (Ready.persistVoters), and from then on only that disk is that voter.
 *
 * Why this is safe: adoption only narrows "any disk" to one disk, so no node ever counts
 * a voter that it would not have counted before, and a recorded id is never replaced.
 * A wipe after this node's first contact is caught; a wipe before it is not, which is
 * exactly the protection the old file gave (none), never less. The window is short: a
 * voter's own entry is fixed at its first start on this release, the leader learns
 * every replica's id from its first fetch, and voters learn each other's at the next
 * election (or in formation's GET /internal/quorum/voters, see quorum-formation.ts).
 * Answers the new list, or null if nothing changed.
 */
export function adoptDirectoryId(voters: readonly VoterKey[], id: NodeId, directoryId: string): VoterKey[] | null {
  const at = voters.findIndex((v) => v.id === id);
  if (at < 0 || voters[at]!.directoryId !== null) return null;
  return voters.map((v, i) => (i === at ? { id, directoryId } : v));
}

export function majorityOf(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}
