/**
 * Which brokers vote in the metadata quorum, fixed once at cluster formation and kept
 * in <dataDir>/meta/quorum-voters.json (static voters: KIP-595; membership changes,
 * KIP-853, are out of scope).
 *
 * Formation, the same on every broker, so that all of them pick the same set without a
 * vote (there is no quorum yet to vote in):
 *   1. a broker that has the file uses it, whatever the flags say now;
 *   2. otherwise it asks each --peers entry for its voters; the first that has a set
 *      decides (a broker joining a formed cluster takes the cluster's set);
 *   3. otherwise, once it knows the id of every configured peer (from heartbeats), the
 *      voters are the lowest `count` ids among itself and its peers, where count is
 *      --controller-voters, or by default 3 (5 from 5 brokers on), never more than there
 *      are brokers. Until then it waits and asks again.
 * Brokers started together with the same --peers (as the launcher starts them) thus
 * agree; the choice is written before the broker takes part in any election.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../lib/errors.ts";
import { writeAtomically } from "./quorum-disk-log.ts";
import type { NodeId } from "./quorum/types.ts";

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

export function readVoters(metaDir: string): NodeId[] | null {
  const path = join(metaDir, VOTERS_FILE);
  if (!existsSync(path)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new StreamNestError("CORRUPT_RECORD", `${path} is not valid JSON: ${(error as Error).message}`);
  }
  const voters = (parsed as { voters?: unknown } | null)?.voters;
  if (!isVoterList(voters)) throw new StreamNestError("CORRUPT_RECORD", `${path} does not hold a list of voter ids`);
  return voters;
}

export function writeVoters(metaDir: string, voters: readonly NodeId[]): void {
  mkdirSync(metaDir, { recursive: true });
  writeAtomically(metaDir, join(metaDir, VOTERS_FILE), new TextEncoder().encode(`${JSON.stringify({ voters })}\n`));
}

export function isVoterList(value: unknown): value is NodeId[] {
  return Array.isArray(value) && value.length > 0 && value.every((v) => Number.isSafeInteger(v) && (v as number) >= 0);
}
