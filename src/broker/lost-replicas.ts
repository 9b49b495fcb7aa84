import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { heldBefore, mayHaveHeld } from "./held-partitions.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { CoreContext } from "./core-context.ts";
import type { AlterPartitionChange } from "./metadata.ts";
import { isrOf, partitionEpochOf } from "./metadata.ts";
import { partitionName } from "./partition-router.ts";
import type { PartitionState, TopicState } from "./topic-catalog.ts";

/**
 * Replicas lost with their disk (issue 12's "a lost disk is never silent", KIP-966): a
 * partition the metadata placed on this broker before its data dir was born
 * (disk-birth.ts), or one whose log this broker held before (held-partitions.ts), whose
 * folder is not in that dir. Its offsets must never be reused silently:
 * - With other replicas, the replication driver takes this broker out of the ISR (and
 *   out of leadership) before it copies the partition again; it rejoins once caught up.
 * - As a single replica (or the last one in sync), the partition is offline and says so:
 *   a log line names it, produces and reads are refused with 503 naming the way back,
 *   and only an operator's POST /admin/partitions/:topic/:partition/accept-data-loss
 *   brings it back, empty, under a new leader epoch (so Kafka clients, KIP-320, see that
 *   their positions belong to a log that is gone).
 * A lost partition's folder is created only by that acceptance (or by copying it again),
 * so the loss is remembered across restarts until then.
 */

/**
 * Lost partitions already said so (one log line each). The loss ends only when the folder
 * exists again: created by the operator's acceptance or by copying the partition again.
 * Not by a newer leader epoch: an election bumps the epoch too, and a wiped broker back
 * before its death was noticed was elected from the ISR it was still listed in, took the
 * bump for an acceptance and led with an empty log (found by the lost-disk election test).
 */
const foundLost = new WeakSet<PartitionState>();

/** Whether this broker's copy of the partition was lost with its disk (see above). */
export function isLostReplica(ctx: CoreContext, state: TopicState, ps: PartitionState): boolean {
  if (!ps.assignment.replicas.includes(ctx.directory.self.id)) return false;
  if (ctx.logs.get(ps) !== undefined || ps.closed !== undefined) return false;
  // No folder: lost if the data dir is newer than the partition, or if this broker held
  // its log before (held-partitions.ts); else it was never written here. The cheap
  // checks first: this runs for every partition of a topic at each metadata change.
  const bornAt = ctx.diskBornAt ?? 0;
  const diskNewer = bornAt !== 0 && state.meta.createdAt < bornAt;
  const dataDir = dirname(ps.dir);
  if (!diskNewer && !mayHaveHeld(dataDir, ps)) return false;
  if (existsSync(ps.dir)) return false;
  if (!diskNewer && !heldBefore(dataDir, ps)) return false;
  if (!foundLost.has(ps)) {
    foundLost.add(ps);
    ctx.warn(
      `${partitionName(state.meta.name, ps.partition)}: its log is not in this broker's data directory, ${diskNewer ? "which is newer than the partition (the disk was wiped or replaced)" : "where this broker held it before (its folder was deleted or lost)"}. ` +
        (ps.assignment.replicas.length > 1
          ? "This broker leaves its in-sync replicas and copies the partition again from the leader"
          : `The partition is offline; POST /admin/partitions/${state.meta.name}/${ps.partition}/accept-data-loss brings it back empty`),
    );
  }
  return true;
}

/**
 * Partitions this broker leads that are offline for lost data (no other in-sync replica to
 * copy from): counted offline with those whose leader is down (found by a fault probe:
 * they were counted nowhere). Only partitions already found lost are looked at again.
 */
export function offlineForLostData(ctx: CoreContext): number {
  const self = ctx.directory.self.id;
  let count = 0;
  for (const state of ctx.catalog.states())
    for (const ps of state.partitions)
      if (foundLost.has(ps) && ps.assignment.leader === self && isrOf(ps.assignment).every((b) => b === self) && isLostReplica(ctx, state, ps)) count++;
  return count;
}

/** True for the refusal of a partition offline for lost data: waiting for a leader does not help. */
export function isDataLost(error: unknown): boolean {
  return error instanceof StreamNestError && (error.details as { dataLost?: unknown } | undefined)?.dataLost === true;
}

/** Refuses a produce or read of a lost partition led here, saying how it comes back. */
export function assertNotLost(ctx: CoreContext, state: TopicState, ps: PartitionState): void {
  if (!isLostReplica(ctx, state, ps)) return;
  const self = ctx.directory.self;
  if (isrOf(ps.assignment).some((b) => b !== self.id))
    throw new StreamNestError(
      "LEADER_UNAVAILABLE",
      `${partitionName(state.meta.name, ps.partition)}: broker ${self.id} lost its copy with its disk and hands leadership to an in-sync replica; retry`,
      { partition: ps.partition, leader: self.id, broker: self.address },
    );
  throw new StreamNestError(
    "LEADER_UNAVAILABLE",
    `${partitionName(state.meta.name, ps.partition)} is offline: its data was lost on broker ${self.id} (${self.address}), whose data directory no longer holds its log; ` +
      `POST /admin/partitions/${state.meta.name}/${ps.partition}/accept-data-loss to bring it back empty (its offsets start again at 0 under a new leader epoch)`,
    { partition: ps.partition, state: "offline", leader: self.id, broker: self.address, dataLost: true },
  );
}

/**
 * The operator accepts the loss: the partition's leader epoch is bumped through the
 * quorum (with this broker still its leader and its only in-sync replica) and its log
 * is created empty. Only the leader knows whether its copy was lost, so it must be asked.
 */
export async function acceptDataLoss(ctx: CoreContext, topic: string, partition: number): Promise<{ leaderEpoch: number }> {
  const state = ctx.catalog.topic(topic);
  const ps = ctx.catalog.partition(state, partition);
  const self = ctx.directory.self.id;
  const where = partitionName(topic, partition);
  if (ps.assignment.leader !== self) {
    const leader = ctx.brokerRef(ps.assignment.leader);
    throw new StreamNestError(
      "INVALID_REQUEST",
      `${where} is led by broker ${leader.id} (${leader.address}): ask it, it alone knows whether its copy was lost`,
      { leader: leader.id, broker: leader.address },
    );
  }
  if (!isLostReplica(ctx, state, ps))
    throw new StreamNestError("INVALID_REQUEST", `${where} has not lost its data on this broker; nothing to accept`);
  const a = ps.assignment;
  const change: AlterPartitionChange = {
    type: "alter-partition",
    topic,
    topicId: state.meta.id,
    partition,
    leader: self,
    isr: [self],
    leaderEpoch: a.leaderEpoch + 1,
    partitionEpoch: partitionEpochOf(a) + 1,
    expectedLeaderEpoch: a.leaderEpoch,
    expectedPartitionEpoch: partitionEpochOf(a),
  };
  if (isrOf(a).some((b) => b !== self) && a.replicas.length > 1)
    throw new StreamNestError("INVALID_REQUEST", `${where} has other in-sync replicas (${isrOf(a).join(", ")}): it copies the partition from them, nothing is lost`);
  await ctx.proposer.propose(change);
  const after = ctx.catalog.partition(ctx.catalog.topic(topic), partition);
  // Created now, empty: the folder is the record that the loss was accepted.
  const lease = await ctx.logs.lease(after);
  lease.release();
  ctx.warn(`${where}: the loss of its data was accepted; it is back, empty, in leader epoch ${after.assignment.leaderEpoch}`);
  return { leaderEpoch: after.assignment.leaderEpoch };
}

/**
 * Looks for lost copies as soon as the metadata names them (at start, and as a wiped
 * broker learns the metadata back from the quorum), so the log line comes at once and
 * not with the first request.
 */
export function watchLostReplicas(ctx: CoreContext): () => void {
  const scan = (topics: Iterable<string>): void => {
    for (const name of topics) {
      const state = ctx.catalog.get(name);
      if (state) for (const ps of state.partitions) isLostReplica(ctx, state, ps);
    }
  };
  scan(ctx.catalog.names());
  return ctx.metadata.onChange((_doc, _change, _previous, touched) => scan(touched ?? ctx.catalog.names()));
}
