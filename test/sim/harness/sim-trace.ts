/** What the simulation counts and prints about messages: coverage counters and a
 * one-line description of each message for traces of failing seeds. */
import type { QuorumMessage } from "../../../src/cluster/quorum/messages.ts";

export interface Coverage {
  divergences: number;
  snapshotRedirects: number;
  snapshotChunks: number;
  resignations: number;
  elections: number;
  truncations: number;
  crashes: number;
  /** Voters wiped, fetches from a wiped voter's new disk, and directory ids adopted (KIP-853). */
  wipes: number;
  wipedFetches: number;
  adoptions: number;
}

export function emptyCoverage(): Coverage {
  return { divergences: 0, snapshotRedirects: 0, snapshotChunks: 0, resignations: 0, elections: 0, truncations: 0, crashes: 0, wipes: 0, wipedFetches: 0, adoptions: 0 };
}

export function countCoverage(c: Coverage, message: QuorumMessage): void {
  if (message.type === "fetch-response") {
    if (message.divergingEpoch) c.divergences++;
    if (message.snapshotId) c.snapshotRedirects++;
  } else if (message.type === "fetch-snapshot-response" && message.error === "NONE") c.snapshotChunks++;
  else if (message.type === "end-epoch-request") c.resignations++;
  else if (message.type === "fetch-request" && message.replicaDirectoryId.includes("-wiped-")) c.wipedFetches++;
}

export function describe(m: QuorumMessage): string {
  switch (m.type) {
    case "vote-request":
      return `${m.preVote ? "pre-" : ""}vote? e${m.epoch} last ${m.lastEpoch}/${m.lastOffset}`;
    case "vote-response":
      return `${m.preVote ? "pre-" : ""}vote ${m.granted ? "yes" : "no"} e${m.epoch}`;
    case "fetch-request":
      return `fetch e${m.epoch} @${m.fetchOffset}/${m.lastFetchedEpoch}`;
    case "fetch-response":
      return `fetched ${m.error} e${m.epoch} n=${m.entries.length} hw=${m.highWatermark}${m.divergingEpoch ? ` diverge ${m.divergingEpoch.epoch}/${m.divergingEpoch.endOffset}` : ""}${m.snapshotId ? ` snapshot ${m.snapshotId.endOffset}` : ""}`;
    default:
      return `${m.type} e${m.epoch}`;
  }
}
