import { expect, test } from "bun:test";
import { join } from "node:path";
import { FollowerLoop } from "../../../src/cluster/replication/follower-loop.ts";
import { decodeFetchRequest, encodeFetchAnswer } from "../../../src/cluster/replication/fetch-wire.ts";
import type { ReplicaFetchTransport } from "../../../src/cluster/replication/replica-manager.ts";
import { REPLICATION_LIMITS } from "../../../src/config/replication.ts";
import { chunkOfRecords, EMPTY_CHUNK } from "../../../src/storage/frame-chunk.ts";
import { PartitionLog } from "../../../src/storage/index.ts";
import { cleanupsAfterEach } from "../../helpers/cleanups.ts";
import { untilTrue } from "../../helpers/until.ts";
import { tempDir } from "../../storage/fixtures/records.ts";

/**
 * The follower's loop over a real log, with the network injected: a leader that never
 * answers (paused with SIGSTOP, or cut off) is a fetch that hangs until it is aborted.
 */

const cleanups = cleanupsAfterEach();

interface Fetch {
  leader: number;
  leaderEpoch: number;
  at: number;
  signal: AbortSignal;
}

/** Broker 3's loop over partition 0 of "t", stopped after the test. */
function followerOf(log: PartitionLog, transport: ReplicaFetchTransport, warn: (message: string) => void = () => {}): FollowerLoop {
  const loop = new FollowerLoop({
    self: 3,
    topic: "t",
    topicId: "t-id",
    partition: 0,
    lease: () => ({ log, release: () => {} }),
    transport,
    brokerRef: (id) => ({ id, address: `broker-${id}:1` }),
    warn,
  });
  cleanups.push(() => loop.stop());
  return loop;
}

test("a fetch left waiting on a leader that was replaced is dropped at once: the follower fetches from the new leader without waiting for its timeout", async () => {
  const dir = tempDir("streamnest-follower-loop-");
  cleanups.push(dir.remove);
  const log = PartitionLog.open(join(dir.path, "t-0"), { fsync: "never", highWatermark: "explicit" });
  cleanups.push(() => log.close());
  const fetches: Fetch[] = [];
  // No leader answers: every fetch waits until its signal ends it.
  const transport: ReplicaFetchTransport = {
    fetch: (leader, request, _timeoutMs, signal) => {
      fetches.push({ leader: leader.id, leaderEpoch: decodeFetchRequest(request).leaderEpoch, at: performance.now(), signal });
      return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
    },
  };
  const warnings: string[] = [];
  const loop = followerOf(log, transport, (message) => warnings.push(message));

  loop.follow(1, 4);
  await untilTrue("a fetch to broker 1", async () => fetches.length === 1, 5_000);
  expect([fetches[0].leader, fetches[0].leaderEpoch, fetches[0].signal.aborted]).toEqual([1, 4, false]);
  // The same leader and epoch again (metadata moved for another reason): the fetch waits on.
  loop.follow(1, 4);
  await Bun.sleep(20);
  expect(fetches.length).toBe(1);
  expect(fetches[0].signal.aborted).toBe(false);

  const movedAt = performance.now();
  loop.follow(2, 5);
  await untilTrue("a fetch to broker 2", async () => fetches.length === 2, 5_000);
  expect(fetches[0].signal.aborted).toBe(true);
  expect([fetches[1].leader, fetches[1].leaderEpoch, fetches[1].signal.aborted]).toEqual([2, 5, false]);
  // Well before the old fetch's own timeout (the wait plus 2 s; this network never times out).
  expect(fetches[1].at - movedAt).toBeLessThan(REPLICATION_LIMITS.fetchWaitMs.value);
  // Leaving a leader is not a failure: no line in the log, and so no pause after one either.
  expect(warnings).toEqual([]);

  loop.stop();
  await untilTrue("the last fetch ended", async () => fetches[1].signal.aborted, 5_000);
  expect(fetches.length).toBe(2);
});

test("an idle follower's fetches wait longer and longer at the leader, up to the idle bound; records bring the wait back to its start", async () => {
  const dir = tempDir("streamnest-follower-loop-");
  cleanups.push(dir.remove);
  const log = PartitionLog.open(join(dir.path, "t-0"), { fsync: "never", highWatermark: "explicit" });
  cleanups.push(() => log.close());
  const asked: { maxWaitMs: number; timeoutMs: number; fetchOffset: number }[] = [];
  const record = { offset: 0, timestamp: 1, key: null, value: new TextEncoder().encode("a"), headers: [] };
  // The leader answers at once: empty (its wait ran out) but for the fifth fetch, which brings a record.
  const transport: ReplicaFetchTransport = {
    fetch: async (_leader, request, timeoutMs) => {
      const head = decodeFetchRequest(request);
      // A turn of the event loop, as a network answer takes (else the loop never yields).
      await Bun.sleep(1);
      asked.push({ maxWaitMs: head.maxWaitMs, timeoutMs, fetchOffset: head.fetchOffset });
      const chunk = asked.length === 5 ? chunkOfRecords([record]) : EMPTY_CHUNK;
      const runs = chunk.count > 0 ? [{ epoch: 4, startOffset: 0 }] : [];
      return { bytes: encodeFetchAnswer({ verdict: { kind: "read" }, highWatermark: 0, logStartOffset: 0, runs }, chunk), authenticated: false };
    },
  };
  const loop = followerOf(log, transport);
  loop.follow(1, 4);
  await untilTrue("seven fetches", async () => asked.length >= 7, 5_000);
  loop.stop();
  const base = REPLICATION_LIMITS.fetchWaitMs.value;
  const idle = REPLICATION_LIMITS.fetchIdleWaitMs.value;
  expect([base, idle]).toEqual([500, 4000]);
  expect(asked.slice(0, 7).map((a) => a.maxWaitMs)).toEqual([500, 1000, 2000, 4000, 4000, 500, 1000]);
  // Each fetch is given up on 2 s after its own wait.
  expect(asked.slice(0, 7).map((a) => a.timeoutMs - a.maxWaitMs)).toEqual([2000, 2000, 2000, 2000, 2000, 2000, 2000]);
  expect(asked.slice(0, 7).map((a) => a.fetchOffset)).toEqual([0, 0, 0, 0, 0, 1, 1]);
  expect(log.logEndOffset).toBe(1);
});
