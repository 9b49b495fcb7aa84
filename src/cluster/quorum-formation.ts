/**
 * Starting the metadata quorum on a broker: the voter set with each voter's directory id
 * (the rule is written out in quorum-voters.ts) and, for a data dir written by the
 * controller release, the metadata log's first snapshot.
 */
import { existsSync } from "node:fs";
import { encodeMetadata, type MetadataStore } from "../broker/metadata-store.ts";
import { INTERNAL_ROUTES } from "../lib/internal-routes.ts";
import type { Membership } from "./membership.ts";
import type { PeerClient } from "./peer-client.ts";
import { QuorumDiskLog } from "./quorum-disk-log.ts";
import { chooseVoters, voterKeysFrom } from "./quorum-voters.ts";
import type { NodeId, VoterKey } from "./quorum/types.ts";
import { adoptDirectoryId } from "./quorum/vote-rules.ts";

const FORMATION_RETRY_MS = 200;

/** What GET /internal/quorum/voters answers: the recorded voters (ids, and directory
 * ids in `directoryIds`), or null before formation; and the answering broker's own id
 * and data directory id, which is how formation learns every voter's. */
export interface VotersAnswer {
  voters: NodeId[] | null;
  directoryIds: Record<string, string>;
  id: NodeId;
  directoryId: string;
}

interface PeerView {
  recorded: VoterKey[] | null;
  self: { id: NodeId; directoryId: string } | null;
}

/**
 * The voters with their directory ids: a peer's recorded set if one has it (with any
 * directory id it lacks taken from another peer's record or from that voter's own
 * answer: adoption on first contact, quorum/vote-rules.ts), else the lowest ids once every
 * configured peer's id and every chosen voter's directory id is known (asking again
 * until then, or until `stopped()`).
 */
export async function formVoters(
  membership: Membership,
  client: PeerClient,
  voterCount: number | undefined,
  self: { id: NodeId; directoryId: string },
  stopped: () => boolean,
): Promise<VoterKey[] | null> {
  while (!stopped()) {
    const views = await askPeersForVoters(membership, client);
    const recorded = views.find((v) => v.recorded !== null)?.recorded;
    if (recorded) return fillDirectoryIds(recorded, views);
    if (!membership.hasUnknownPeers()) {
      const known = new Map(views.flatMap((v) => (v.self ? [[v.self.id, v.self.directoryId] as const] : [])));
      known.set(self.id, self.directoryId);
      const chosen = chooseVoters(membership.brokerIds(), voterCount).map((id) => ({ id, directoryId: known.get(id) ?? null }));
      if (chosen.every((v) => v.directoryId !== null)) return chosen;
    }
    await membership.heartbeatRound();
    await Bun.sleep(FORMATION_RETRY_MS);
  }
  return null;
}

/** Fills directory ids missing from a recorded set (a peer still on the older file). */
export function fillDirectoryIds(recorded: readonly VoterKey[], views: readonly PeerView[]): VoterKey[] {
  let voters = [...recorded];
  for (const view of views) {
    for (const v of [...(view.recorded ?? []), ...(view.self ? [view.self] : [])]) {
      if (v.directoryId !== null) voters = adoptDirectoryId(voters, v.id, v.directoryId) ?? voters;
    }
  }
  return voters;
}

/**
 * For a voters file from before directory ids: asks the peers, every `intervalMs`, for
 * their own directory ids and hands each voter's to `learn` (first contact, as in
 * vote-rules.ts), until every voter's is recorded or `stopped()`. Without this, voters
 * that are not the leader learn each other's ids only at the next election.
 */
export async function learnVoterDirectoryIds(
  membership: Membership,
  client: PeerClient,
  voters: () => readonly VoterKey[],
  learn: (id: NodeId, directoryId: string) => void,
  stopped: () => boolean,
  intervalMs = 1000,
): Promise<void> {
  while (!stopped() && voters().some((v) => v.directoryId === null)) {
    for (const view of await askPeersForVoters(membership, client)) {
      const self = view.self;
      if (self && !stopped() && voters().some((v) => v.id === self.id && v.directoryId === null)) learn(self.id, self.directoryId);
    }
    await Bun.sleep(intervalMs);
  }
}

async function askPeersForVoters(membership: Membership, client: PeerClient): Promise<PeerView[]> {
  return Promise.all(
    membership.peerDialAddresses().map(async (address): Promise<PeerView> => {
      try {
        const answer = await client.json<Partial<VotersAnswer>>(address, { path: INTERNAL_ROUTES.quorumVoters, timeoutMs: 1000 });
        const self =
          Number.isSafeInteger(answer.id) && typeof answer.directoryId === "string" && answer.directoryId !== ""
            ? { id: answer.id as number, directoryId: answer.directoryId }
            : null;
        return { recorded: voterKeysFrom(answer), self };
      } catch {
        return { recorded: null, self: null };
      }
    }),
  );
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

/**
 * The lines a broker logs once its voters are known: the set with directory ids, and,
 * when this broker's id is a voter's but its data dir is not the recorded one, that it
 * was wiped and serves as an observer (KIP-853: it lost its votes and its log, so
 * counting it as that voter could elect a leader missing committed entries).
 */
export function votersLines(voters: readonly VoterKey[], self: { id: NodeId; directoryId: string }, brokers = 1): string[] {
  const named = voters.map((v) => `${v.id} (directory ${v.directoryId ?? "not yet known"})`).join(", ");
  const own = voters.find((v) => v.id === self.id);
  const lines = [own ? `Metadata quorum voters: ${named}` : `Metadata quorum voters: ${named} (this broker observes)`];
  // A cluster grown from one broker keeps the one voter it formed with: nothing said so,
  // and the loss of that broker stopped every metadata change (a new user's finding).
  if (voters.length < 3 && brokers >= 3)
    lines.push(
      `The metadata quorum has ${voters.length} voter${voters.length === 1 ? "" : "s"} in a cluster of ${brokers} brokers: ` +
        `losing ${voters.length === 1 ? `broker ${voters[0].id}` : "either voter"} stops every metadata change (topics, leaders, ISR). Voters are chosen once, at formation ` +
        `(README: "The metadata quorum"); to have 3, form the cluster with 3 brokers started together with the same --peers.`,
    );
  if (!own || own.directoryId === null || own.directoryId === self.directoryId) return lines;
  return [
    ...lines,
    `Broker ${self.id}'s data dir was wiped or replaced: its directory id is ${self.directoryId}, but the voters file records ${own.directoryId} for voter ${self.id}. ` +
      `It has lost the votes and metadata log voter ${self.id} had, so it serves as an observer: it replicates the metadata log but does not vote or count toward any majority.`,
  ];
}
