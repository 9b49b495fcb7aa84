import { afterEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../../src/broker/broker.ts";
import { brokerConfig } from "../../../src/broker/config.ts";
import type { ApplyResult, MetadataChange } from "../../../src/broker/metadata.ts";
import type { MetadataStore } from "../../../src/broker/metadata-store.ts";
import { ReplicaManager } from "../../../src/cluster/replication/replica-manager.ts";
import { joinParts } from "../../../src/cluster/replication/fetch-wire.ts";

/**
 * Two real brokers (storage, metadata stores, produce path) in one process, their
 * replica managers joined by a direct transport and a proposer that applies every
 * change to both stores in order (what the controller or the quorum does between
 * processes), and a liveness the test decides.
 */

let root: string;
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  rmSync(root, { recursive: true, force: true });
});

function pair(options: { maxOpenPartitions?: number; unclean?: boolean; lagTimeMs?: number } = {}): { brokers: Broker[]; managers: ReplicaManager[]; down: Set<number> } {
  root = mkdtempSync(join(tmpdir(), "streamnest-replica-manager-"));
  const refs = [
    { id: 1, address: "one:1" },
    { id: 2, address: "two:2" },
  ];
  const stores: MetadataStore[] = [];
  const proposer = (store: MetadataStore) => {
    stores.push(store);
    return {
      async propose(change: MetadataChange): Promise<ApplyResult> {
        // Applied on both, in one order: the first store decides (it throws if stale).
        const result = stores[0].apply(change);
        for (const s of stores.slice(1)) s.apply(change);
        return store === stores[0] ? result : { document: store.current, changed: result.changed };
      },
    };
  };
  const brokers = refs.map((self) =>
    Broker.open(
      brokerConfig({
        id: self.id,
        dataDir: join(root, `b${self.id}`),
        // fsync "always": an evicted log has nothing to flush and closes on the spot.
        ...(options.maxOpenPartitions !== undefined ? { maxOpenPartitions: options.maxOpenPartitions, log: { fsync: "always" as const } } : {}),
      }),
      { directory: { self, brokers: () => refs }, proposer },
    ),
  );
  const down = new Set<number>();
  const managers: ReplicaManager[] = [];
  for (const b of brokers)
    managers.push(
      new ReplicaManager(
        b.replicaHost(),
        { fetch: (leader, body, _timeout, signal) => (down.has(leader.id) ? Promise.reject(new Error("down")) : managers[leader.id - 1].serveFetch(body, signal).then((parts) => ({ bytes: joinParts(parts), authenticated: false }))) },
        { isAlive: (id) => !down.has(id) },
        { lagTimeMs: options.lagTimeMs ?? 10_000, unclean: options.unclean ?? false, livenessGraceMs: 0 },
      ),
    );
  cleanup.push(async () => {
    for (const m of managers) m.stop();
    for (const b of brokers) await b.close();
  });
  for (const m of managers) m.start();
  return { brokers, managers, down };
}

const text = new TextDecoder();
const record = (message: string) => ({ key: null, value: new TextEncoder().encode(message), headers: [], partition: 0 });

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await Bun.sleep(25);
  if (!check()) throw new Error(`${what} never happened`);
}

test("an idle follower waiting at the leader's log end stays in the ISR with a lag time shorter than its fetch's wait", async () => {
  // Fetches wait up to 500 ms at the leader; the ISR of an idle partition shrank and grew
  // back at each of them when the lag time was below that (--replica-lag-time-ms=200).
  const { brokers } = pair({ lagTimeMs: 100 });
  const [one, two] = brokers;
  expect(await one.createTopic("idle", 1, { replicationFactor: 2, minInsyncReplicas: 2 })).toBe("created");
  expect(await one.produce("idle", record("a"))).toEqual({ partition: 0, offset: 0 });
  const isrs: string[] = [];
  for (let i = 0; i < 30; i++) {
    isrs.push(String(one.metadata.topic("idle")!.partitions[0].isr));
    await Bun.sleep(50);
  }
  expect(new Set(isrs)).toEqual(new Set(["1,2"]));
  expect(one.metadata.topic("idle")!.partitions[0].partitionEpoch).toBe(0);
  // After the idle time an acks=all append is acknowledged, the follower holding it.
  expect(await one.produce("idle", record("b"))).toEqual({ partition: 0, offset: 1 });
  expect(two.replicaHost().replicaLog("idle", one.metadata.topic("idle")!.id, 0)!.logEndOffset).toBe(2);
}, 30_000);

test("acks=all is answered once the follower has the records; a dead leader is replaced by the follower in the ISR", async () => {
  const { brokers, managers, down } = pair();
  const [one, two] = brokers;
  expect(await one.createTopic("r", 1, { replicationFactor: 2, minInsyncReplicas: 1 })).toBe("created");
  expect(await one.produce("r", record("a"))).toEqual({ partition: 0, offset: 0 });
  expect(await one.produce("r", record("b"))).toEqual({ partition: 0, offset: 1 });
  const id = one.metadata.topic("r")!.id;
  const followerLog = two.replicaHost().replicaLog("r", id, 0)!;
  // The follower holds both records (acks=all waited for it), with the leader's epoch.
  expect(followerLog.read(0, 10, 1 << 20, { upTo: "log-end" }).map((r) => text.decode(r.value!))).toEqual(["a", "b"]);
  expect(followerLog.leaderEpochs).toEqual([{ epoch: 0, startOffset: 0 }]);
  // Consumers on the leader see both: the high watermark passed them.
  expect((await one.fetch({ topic: "r", partition: 0, offset: 0 })).records.map((r) => text.decode(r.value!))).toEqual(["a", "b"]);

  down.add(1);
  managers[0].stop();
  await until(() => two.metadata.topic("r")!.partitions[0].leader === 2, "broker 2 elected");
  expect(two.metadata.topic("r")!.partitions[0]).toEqual({ partition: 0, replicas: [1, 2], leader: 2, leaderEpoch: 1, isr: [2], partitionEpoch: 1 });
  // The new leader's epoch begins at its log end; it takes writes alone (min ISR 1).
  await until(() => followerLog.latestEpoch === 1, "epoch 1 begun");
  expect(await two.produce("r", record("c"))).toEqual({ partition: 0, offset: 2 });
  expect(followerLog.leaderEpochs).toEqual([
    { epoch: 0, startOffset: 0 },
    { epoch: 1, startOffset: 2 },
  ]);
  expect((await two.fetch({ topic: "r", partition: 0, offset: 0 })).records.map((r) => text.decode(r.value!))).toEqual(["a", "b", "c"]);
}, 30_000);

for (const unclean of [true, false])
  test(`a dead leader, its ISR down to itself, and a live replica outside the ISR: ${unclean ? "elected with --unclean-leader-election" : "the partition stays offline"}`, async () => {
    const { brokers, managers, down } = pair({ unclean });
    const [one, two] = brokers;
    expect(await one.createTopic("u", 1, { replicationFactor: 2, minInsyncReplicas: 1 })).toBe("created");
    expect(await one.produce("u", record("a"))).toEqual({ partition: 0, offset: 0 });
    // Broker 2 counted down: the leader shrinks the ISR to itself.
    down.add(2);
    await until(() => two.metadata.topic("u")!.partitions[0].isr?.join() === "1", "ISR shrunk to broker 1");
    // Broker 1 dies; broker 2 is back, outside the ISR.
    down.add(1);
    managers[0].stop();
    down.delete(2);
    if (unclean) {
      await until(() => two.metadata.topic("u")!.partitions[0].leader === 2, "broker 2 elected uncleanly");
      expect(two.metadata.topic("u")!.partitions[0]).toMatchObject({ leader: 2, isr: [2], leaderEpoch: 1 });
    } else {
      await Bun.sleep(1000);
      expect(two.metadata.topic("u")!.partitions[0]).toMatchObject({ leader: 1, isr: [1], leaderEpoch: 0 });
    }
  }, 30_000);

test("a new topic: each leader takes up its partitions at once; follower replicas open in later turns", async () => {
  const { brokers } = pair();
  const [one, two] = brokers;
  expect(await one.createTopic("many", 10, { replicationFactor: 2 })).toBe("created");
  const folders = (broker: number, partitions: number[]) => partitions.map((p) => existsSync(join(root, `b${broker}`, `many-${p}`)));
  const even = [0, 2, 4, 6, 8];
  const odd = [1, 3, 5, 7, 9];
  // Applied and answered: broker 2 leads the odd partitions (its logs open, epoch 0 begun);
  // its follower replicas of the even ones are not opened in the same turn.
  expect(folders(2, odd)).toEqual(odd.map(() => true));
  expect(folders(2, even)).toEqual(even.map(() => false));
  expect(await two.produce("many", { ...record("x"), partition: 1, acks: "1" })).toEqual({ partition: 1, offset: 0 });
  // A few turns later every follower replica is open and fetching: acks=all is answered.
  await until(() => folders(2, even).every(Boolean) && folders(1, odd).every(Boolean), "every follower replica open");
  expect(await one.produce("many", { ...record("y"), partition: 8 })).toEqual({ partition: 8, offset: 0 });
  const log = two.replicaHost().replicaLog("many", one.metadata.topic("many")!.id, 8)!;
  expect(log.read(0, 10, 1 << 20, { upTo: "log-end" }).map((r) => text.decode(r.value!))).toEqual(["y"]);
}, 30_000);

/** Files under the test's root open in this process (both brokers' logs). */
function openFilesUnderRoot(): number {
  let count = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(root)) count++;
    } catch {
      // Closed between the listing and the look.
    }
  }
  return count;
}

test("replica logs count toward --max-open-partitions: leaders and followers of 40 partitions keep few open, and replicate all", async () => {
  const limit = 4;
  const { brokers } = pair({ maxOpenPartitions: limit });
  const [one, two] = brokers;
  expect(await one.createTopic("wide", 40, { replicationFactor: 2, minInsyncReplicas: 2 })).toBe("created");
  // acks=all on every partition: each answer needs the follower's copy, fetched through logs
  // closed and opened again to make room.
  for (let p = 0; p < 40; p++) {
    const leader = one.metadata.topic("wide")!.partitions[p].leader === 1 ? one : two;
    expect(await leader.produce("wide", { ...record(`w-${p}`), partition: p })).toEqual({ partition: p, offset: 0 });
  }
  // Idle now: followers wait at their leaders without holding a log.
  await Bun.sleep(700);
  // Each log is its segment, its index and the index's journal: 3 files; two brokers.
  if (process.platform === "linux") expect(openFilesUnderRoot()).toBeLessThanOrEqual(2 * limit * 3);
  const id = one.metadata.topic("wide")!.id;
  for (let p = 0; p < 40; p++) {
    const leader = one.metadata.topic("wide")!.partitions[p].leader === 1 ? one : two;
    const follower = leader === one ? two : one;
    expect((await leader.fetch({ topic: "wide", partition: p, offset: 0 })).records.map((r) => text.decode(r.value ?? undefined))).toEqual([`w-${p}`]);
    expect(follower.replicaHost().replicaLog("wide", id, p)!.read(0, 10, 1 << 20, { upTo: "log-end" }).map((r) => text.decode(r.value ?? undefined))).toEqual([`w-${p}`]);
  }
  // A second round still replicates through reopened logs.
  for (let p = 0; p < 40; p++) {
    const leader = one.metadata.topic("wide")!.partitions[p].leader === 1 ? one : two;
    expect(await leader.produce("wide", { ...record(`x-${p}`), partition: p })).toEqual({ partition: p, offset: 1 });
  }
  if (process.platform === "linux") {
    await Bun.sleep(700);
    expect(openFilesUnderRoot()).toBeLessThanOrEqual(2 * limit * 3);
  }
}, 60_000);
