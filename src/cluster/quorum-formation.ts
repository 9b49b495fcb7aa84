/**
 * Starting the metadata quorum on a broker: the voter set (the rule is written out in
 * quorum-voters.ts) and, for a data dir written by the controller release, the metadata
 * log's first snapshot.
 */
import { existsSync } from "node:fs";
import { encodeMetadata, type MetadataStore } from "../broker/metadata-store.ts";
import { INTERNAL_ROUTES } from "../lib/internal-routes.ts";
import type { Membership } from "./membership.ts";
import type { PeerClient } from "./peer-client.ts";
import { QuorumDiskLog } from "./quorum-disk-log.ts";
import { chooseVoters, isVoterList } from "./quorum-voters.ts";
import type { NodeId } from "./quorum/types.ts";

const FORMATION_RETRY_MS = 200;

/**
 * The voters: a peer's recorded set if one has it, else the lowest ids once every
 * configured peer's id is known (asking again until then, or until `stopped()`).
 */
export async function formVoters(
  membership: Membership,
  client: PeerClient,
  voterCount: number | undefined,
  stopped: () => boolean,
): Promise<NodeId[] | null> {
  while (!stopped()) {
    const recorded = await askPeersForVoters(membership, client);
    if (recorded) return recorded;
    if (!membership.hasUnknownPeers()) return chooseVoters(membership.brokerIds(), voterCount);
    await membership.heartbeatRound();
    if (membership.hasUnknownPeers()) await Bun.sleep(FORMATION_RETRY_MS);
  }
  return null;
}

async function askPeersForVoters(membership: Membership, client: PeerClient): Promise<NodeId[] | null> {
  const answers = await Promise.all(
    membership.peerDialAddresses().map(async (address) => {
      try {
        const answer = await client.json<{ voters: unknown }>(address, { path: INTERNAL_ROUTES.quorumVoters, timeoutMs: 1000 });
        return isVoterList(answer.voters) ? answer.voters : null;
      } catch {
        return null;
      }
    }),
  );
  return answers.find((a) => a !== null) ?? null;
}

/**
 * Upgrade from the controller release: a data dir with metadata (meta/metadata.json)
 * but no metadata log yet starts its log with that document as the first snapshot, at
 * the document's version, epoch 0. Of the upgraded voters the one with the newest
 * document wins the first election (a vote needs a log at least as new), and brokers
 * behind it fetch its snapshot. Answers whether it did.
 */
export async function seedLogFromLegacyMetadata(logDir: string, store: MetadataStore, log?: (line: string) => void): Promise<boolean> {
  if (existsSync(logDir) || store.version === 0) return false;
  const quorumLog = QuorumDiskLog.open(logDir, (m) => log?.(m));
  try {
    quorumLog.installSnapshot({ endOffset: store.version, epoch: 0 }, new TextEncoder().encode(encodeMetadata(store.current)));
    await quorumLog.persist();
    log?.(`Metadata log started from metadata.json (version ${store.version}) as its first snapshot`);
    return true;
  } finally {
    await quorumLog.close();
  }
}
