/** What GET /cluster shows of the metadata quorum. */
import type { NodeId, QuorumStatus, VoterKey } from "./quorum/types.ts";

export interface QuorumStatusView {
  voters: number[];
  leader: number | null;
  epoch: number;
  /** The committed offset (high watermark) as this broker knows it: its metadata version. */
  committed_offset: number;
  role: string;
  /** This broker's data directory id (KIP-853), once the quorum has started. */
  directory_id: string | null;
  /** This broker's id is a voter's, but its data dir is not the one recorded for it: it
   * was wiped (lost its votes and log), so it serves as an observer. */
  wiped: boolean;
  /**
   * Per voter, its recorded directory id, what of the committed log it holds and how far
   * it lags the leader's committed offset: known for every voter on the leader (from
   * their fetches), and only for itself elsewhere (null for the others).
   */
  voter_status: Array<{ id: number; directory_id: string | null; committed_offset: number | null; lag: number | null; last_fetch_ms_ago: number | null }>;
}

export function quorumStatusView(status: QuorumStatus | undefined, recorded: readonly VoterKey[], selfId: NodeId, now: number): QuorumStatusView {
  const committed = status?.highWatermark ?? 0;
  // The core's list holds directory ids adopted since the file was read.
  const voters = status?.voters ?? recorded;
  const fetched = new Map((status?.replicas ?? []).filter((r) => r.voter).map((r) => [r.id, r]));
  const own = voters.find((v) => v.id === selfId);
  const wiped = status !== undefined && own !== undefined && !status.isVoter;
  return {
    voters: voters.map((v) => v.id),
    leader: status?.leaderId ?? null,
    epoch: status?.epoch ?? 0,
    committed_offset: committed,
    role: status?.role ?? "forming",
    directory_id: status?.directoryId ?? null,
    wiped,
    voter_status: voters.map(({ id, directoryId }) => {
      const unknown = { id, directory_id: directoryId, committed_offset: null, lag: null, last_fetch_ms_ago: null };
      if (status && id === selfId && !wiped) return { ...unknown, committed_offset: committed, lag: status.role === "leader" ? 0 : null };
      const replica = status?.role === "leader" ? fetched.get(id) : undefined;
      if (!replica || replica.endOffset < 0) return unknown;
      const held = Math.min(replica.endOffset, committed);
      return { ...unknown, committed_offset: held, lag: committed - held, last_fetch_ms_ago: Math.max(0, now - replica.lastFetchMs) };
    }),
  };
}
