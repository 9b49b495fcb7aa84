/**
 * Which brokers vote in the metadata quorum, fixed once at cluster formation and kept
 * in <dataDir>/meta/quorum-voters.json with each voter's data directory id (static
 * voters: KIP-595; KIP-853's directory ids, so that a voter whose disk was wiped is not
 * taken for its old self; membership changes are out of scope).
 *
 * Formation, the same on every broker, so that all of them pick the same set without a
 * vote (there is no quorum yet to vote in):
 *   1. a broker that has the file uses it, whatever the flags say now;
 *   2. otherwise it asks each --peers entry for its voters; the first that has a set
 *      decides (a broker joining a formed cluster takes the cluster's set);
 *   3. otherwise, once it knows the id of every configured peer (from heartbeats), the
 *      voters are the lowest `count` ids among itself and its peers, where count is
 *      --controller-voters, or by default 3 (5 from 5 brokers on), never more than there
 *      are brokers, each with the directory id it reports in its answer (every voter's
 *      must be known). Until then it waits and asks again.
 * Brokers started together with the same --peers (as the launcher starts them) thus
 * agree; the choice is written before the broker takes part in any election.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../lib/errors.ts";
import { writeAtomically } from "./quorum-disk-log.ts";
import type { NodeId, VoterKey } from "./quorum/types.ts";

export const VOTERS_FILE = "quorum-voters.json";

/** How many voters a cluster of `brokers` gets when --controller-voters does not say. */
export function defaultVoterCount(brokers: number): number {
  return Math.min(brokers, brokers >= 5 ? 5 : 3);
}

/** The lowest `count` ids (count: configured, or the default for this many brokers). */
export function chooseVoters(brokerIds: readonly NodeId[], configured: number | undefined): NodeId[] {
  const ids = [...new Set(brokerIds)].sort((a, b) => a - b);
  const count = Math.min(ids.length, configured ?? defaultVoterCount(ids.length));
  return ids.slice(0, count);
}

/**
 * The file: {"voters": [1, 2, 3], "directoryIds": {"1": "…", "2": "…", "3": "…"}}. The
 * ids stay a plain list so that the release before directory ids can still read it;
 * a voter missing from directoryIds (a file that release wrote) has none yet and adopts
 * one on first contact (the rule and why it is safe: quorum/vote-rules.ts).
 */
export function readVoters(metaDir: string): VoterKey[] | null {
  const path = join(metaDir, VOTERS_FILE);
  if (!existsSync(path)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new StreamNestError("CORRUPT_RECORD", `${path} is not valid JSON: ${(error as Error).message}`);
  }
  const voters = voterKeysFrom(parsed);
  if (!voters) throw new StreamNestError("CORRUPT_RECORD", `${path} does not hold a list of voter ids (with their directory ids)`);
  return voters;
}

export function writeVoters(metaDir: string, voters: readonly VoterKey[]): void {
  mkdirSync(metaDir, { recursive: true });
  writeAtomically(metaDir, join(metaDir, VOTERS_FILE), new TextEncoder().encode(`${JSON.stringify(voterRecord(voters))}\n`));
}

/** The voters as the file and GET /internal/quorum/voters carry them. */
export function voterRecord(voters: readonly VoterKey[]): { voters: NodeId[]; directoryIds: Record<string, string> } {
  const directoryIds: Record<string, string> = {};
  for (const v of voters) if (v.directoryId !== null) directoryIds[String(v.id)] = v.directoryId;
  return { voters: voters.map((v) => v.id), directoryIds };
}

/** Reads {voters, directoryIds?} (directoryIds absent in the older format); null if malformed. */
export function voterKeysFrom(value: unknown): VoterKey[] | null {
  if (value === null || typeof value !== "object") return null;
  const doc = value as { voters?: unknown; directoryIds?: unknown };
  if (!isVoterList(doc.voters)) return null;
  const ids = doc.directoryIds ?? {};
  if (ids === null || typeof ids !== "object" || Array.isArray(ids)) return null;
  const known = ids as Record<string, unknown>;
  const keys: VoterKey[] = [];
  for (const id of doc.voters) {
    const directoryId = known[String(id)] ?? null;
    if (directoryId !== null && (typeof directoryId !== "string" || directoryId === "")) return null;
    keys.push({ id, directoryId });
  }
  return keys;
}

export function isVoterList(value: unknown): value is NodeId[] {
  return Array.isArray(value) && value.length > 0 && value.every((v) => Number.isSafeInteger(v) && (v as number) >= 0);
}
