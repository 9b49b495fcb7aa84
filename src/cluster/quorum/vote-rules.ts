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

export function majorityOf(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}
