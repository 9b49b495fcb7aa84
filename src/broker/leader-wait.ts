import type { CoreContext } from "./core-context.ts";
import type { PartitionAssignment } from "./metadata.ts";
import { type Availability, availabilityOf } from "./partition-availability.ts";

/**
 * Who is alive, as this broker knows it, and the bounded waits of a produce for a
 * partition's leader. A broker is down when the metadata quorum fenced it (KIP-631) or
 * when this broker's own signs say so (the directory's liveness: missed heartbeats, a
 * refused connection); this broker is always up to itself.
 */

/** How often a wait looks again at the partition (metadata applied, a broker back). */
const POLL_MS = 50;

export function isBrokerLive(ctx: CoreContext, id: number): boolean {
  if (id === ctx.directory.self.id) return true;
  if (ctx.metadata.current.brokers.find((b) => b.id === id)?.fenced === true) return false;
  return ctx.directory.isAlive?.(id) ?? true;
}

/** The partition's availability now, liveness looked up once per broker of the call. */
export function availabilityNow(ctx: CoreContext, assignment: PartitionAssignment, seen?: Map<number, boolean>): Availability {
  return availabilityOf(assignment, (id) => {
    const known = seen?.get(id);
    if (known !== undefined) return known;
    const live = isBrokerLive(ctx, id);
    seen?.set(id, live);
    return live;
  });
}

/**
 * Resolves once `ready()` holds, `untilMs` (a Date.now() time) passes, or the broker
 * closes, looking every few milliseconds: metadata changes arrive from the controller
 * or the quorum and a broker's return from its heartbeats, neither of which the core
 * is told of directly.
 */
export function waitUntil(ctx: CoreContext, ready: () => boolean, untilMs: number): Promise<void> {
  if (ready() || Date.now() >= untilMs || ctx.lifetime.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearInterval(poll);
      clearTimeout(timer);
      ctx.lifetime.removeEventListener("abort", done);
      resolve();
    };
    const poll = setInterval(() => {
      if (ready()) done();
    }, POLL_MS);
    const timer = setTimeout(done, Math.max(0, untilMs - Date.now()));
    ctx.lifetime.addEventListener("abort", done, { once: true });
  });
}

/**
 * Waits for the partition to get another leader or leader epoch than in `from` (an
 * election was applied), for its leader to be counted alive again, or for the topic to
 * be gone, bounded by `untilMs`.
 */
export function waitForLeaderChange(ctx: CoreContext, topic: string, partition: number, from: PartitionAssignment, untilMs: number): Promise<void> {
  return waitUntil(
    ctx,
    () => {
      const now = ctx.catalog.get(topic)?.partitions[partition]?.assignment;
      if (!now) return true;
      if (now.leader !== from.leader || now.leaderEpoch !== from.leaderEpoch) return true;
      return availabilityNow(ctx, now).kind === "live";
    },
    untilMs,
  );
}
