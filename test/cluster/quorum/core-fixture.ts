/** Builds single quorum cores for unit tests, driven by hand. */
import { MemoryQuorumLog } from "../../../src/cluster/quorum/memory-log.ts";
import type { QuorumMessage } from "../../../src/cluster/quorum/messages.ts";
import { SeededRandom } from "../../../src/cluster/quorum/prng.ts";
import { QuorumCore } from "../../../src/cluster/quorum/quorum-core.ts";
import type { Ready } from "../../../src/cluster/quorum/ready.ts";
import { type ElectionState, type Entry, INITIAL_ELECTION_STATE, type QuorumConfig, type VoterKey } from "../../../src/cluster/quorum/types.ts";

export const VOTERS: VoterKey[] = [1, 2, 3].map((id) => ({ id, directoryId: `d${id}` }));
/** The same voters as a voters file written before directory ids records them. */
export const LEGACY_VOTERS: VoterKey[] = [1, 2, 3].map((id) => ({ id, directoryId: null }));

export const TIMING = {
  electionTimeoutMs: 100,
  fetchTimeoutMs: 200,
  requestTimeoutMs: 60,
  fetchMaxWaitMs: 40,
  retryBackoffMs: 10,
  maxFetchEntries: 100,
  snapshotChunkBytes: 4,
};

export function makeCore(
  nodeId: number,
  options: { state?: ElectionState; log?: MemoryQuorumLog; voters?: VoterKey[]; now?: number; config?: Partial<QuorumConfig> } = {},
): { core: QuorumCore; log: MemoryQuorumLog } {
  const log = options.log ?? new MemoryQuorumLog();
  const config: QuorumConfig = {
    nodeId,
    directoryId: `d${nodeId}`,
    voters: options.voters ?? VOTERS,
    ...TIMING,
    ...options.config,
  };
  const core = new QuorumCore(config, options.state ?? INITIAL_ELECTION_STATE, log, new SeededRandom(nodeId), options.now ?? 0);
  return { core, log };
}

/** Takes the Ready and reports it done, as a driver would. */
export function drain(core: QuorumCore, now: number): Ready {
  const ready = core.ready();
  core.advance(ready, now);
  return ready;
}

export function entries(epochs: number[], from = 0): Entry[] {
  return epochs.map((epoch, i) => ({ offset: from + i, epoch, kind: "data", payload: new Uint8Array([from + i]) }));
}

export function logWith(epochs: number[]): MemoryQuorumLog {
  const log = new MemoryQuorumLog();
  log.append(entries(epochs));
  return log;
}

export function ofType<T extends QuorumMessage["type"]>(messages: readonly QuorumMessage[], type: T): Array<Extract<QuorumMessage, { type: T }>> {
  return messages.filter((m): m is Extract<QuorumMessage, { type: T }> => m.type === type);
}

/** Makes node 1 the leader of epoch 1 of VOTERS, its first Ready done. */
export function leaderOfEpoch1(log = new MemoryQuorumLog(), voters = VOTERS): { core: QuorumCore; log: MemoryQuorumLog; now: number } {
  const { core } = makeCore(1, { log, voters });
  let now = core.nextDeadline();
  core.tick(now);
  const preVotes = ofType(drain(core, now).messages, "vote-request");
  core.step({ type: "vote-response", from: 2, to: 1, correlationId: preVotes[0]!.correlationId, epoch: 0, leaderId: null, granted: true, preVote: true, voterDirectoryId: "d2" }, now);
  const votes = ofType(drain(core, now).messages, "vote-request");
  now += 1;
  core.step({ type: "vote-response", from: 2, to: 1, correlationId: votes[0]!.correlationId, epoch: 1, leaderId: null, granted: true, preVote: false, voterDirectoryId: "d2" }, now);
  drain(core, now);
  return { core, log, now };
}
