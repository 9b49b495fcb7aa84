/** What GET /cluster shows of the metadata quorum. */
import type { NodeId, QuorumStatus } from "./quorum/types.ts";

export interface QuorumStatusView {
  voters: number[];
  leader: number | null;
  epoch: number;
  /** The committed offset (high watermark) as this broker knows it: its metadata version. */
  committed_offset: number;
  role: string;
  /**
   * Per voter, what of the committed log it holds and how far it lags the leader's
   * committed offset: known for every voter on the leader (from their fetches), and only
   * for itself elsewhere (null for the others).
   */
  voter_status: Array<{ id: number; committed_offset: number | null; lag: number | null; last_fetch_ms_ago: number | null }>;
}

export function quorumStatusView(status: QuorumStatus | undefined, voters: readonly NodeId[], selfId: NodeId, now: number): QuorumStatusView {
  const committed = status?.highWatermark ?? 0;
  const fetched = new Map((status?.replicas ?? []).map((r) => [r.id, r]));
  return {
    voters: [...voters],
    leader: status?.leaderId ?? null,
    epoch: status?.epoch ?? 0,
    committed_offset: committed,
    role: status?.role ?? "forming",
    voter_status: voters.map((id) => {
      if (status && id === selfId) return { id, committed_offset: committed, lag: status.role === "leader" ? 0 : null, last_fetch_ms_ago: null };
      const replica = status?.role === "leader" ? fetched.get(id) : undefined;
      if (!replica || replica.endOffset < 0) return { id, committed_offset: null, lag: null, last_fetch_ms_ago: null };
      const held = Math.min(replica.endOffset, committed);
      return { id, committed_offset: held, lag: committed - held, last_fetch_ms_ago: Math.max(0, now - replica.lastFetchMs) };
    }),
  };
}
