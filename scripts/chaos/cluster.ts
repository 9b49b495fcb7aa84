import type { BrokerProcess } from "../../test/helpers/broker-harness.ts";
import { type QuorumCluster, startQuorumCluster } from "../../test/helpers/quorum-cluster.ts";
import type { ChaosOptions } from "./options.ts";

/**
 * The cluster a chaos run works on: real broker processes (the source under Bun, or
 * the compiled binary with --bin / STREAMNEST_BIN) whose links to each other all go
 * through the test harness's fault proxies (test/helpers/fault-network.ts), so a link
 * can be cut without root; the harness itself reaches every broker directly. Also the
 * views of the cluster the run needs: the placement as a broker's /metadata shows it.
 */

export interface PartitionView {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  leaderEpoch: number;
}

export interface ChaosCluster {
  cluster: QuorumCluster;
  brokers: BrokerProcess[];
  secret: string;
  /** Brokers the nemesis has stopped (kill -9, not yet restarted) or frozen (SIGSTOP). */
  down: Set<number>;
}

/** How long a request from the harness may wait for an answer (longer than a broker's own acks=all wait of 10 s). */
export const CLIENT_TIMEOUT_MS = 15_000;

export async function startChaosCluster(options: ChaosOptions): Promise<ChaosCluster> {
  if (options.bin !== undefined) process.env.STREAMNEST_BIN = options.bin;
  const cluster = await startQuorumCluster(options.brokers, { args: [`--session-timeout-ms=${options.sessionTimeoutMs}`] });
  const secret = cluster.brokers[0].options.secret;
  if (secret === undefined) throw new Error("the cluster was started without a secret");
  return { cluster, brokers: cluster.brokers, secret, down: new Set() };
}

/** The brokers neither killed nor frozen right now. */
export function upBrokers(chaos: ChaosCluster): BrokerProcess[] {
  return chaos.brokers.filter((b) => !chaos.down.has(b.id));
}

/** The topic's partitions as `broker`'s /metadata shows them, or null if it does not answer. */
export async function partitionsSeenBy(broker: BrokerProcess, topic: string): Promise<PartitionView[] | null> {
  try {
    const res = await fetch(`${broker.url}/metadata`, { signal: AbortSignal.timeout(3000) });
    if (res.status !== 200) return null;
    const body = (await res.json()) as {
      topic_partitions: Record<string, { partitions: Array<{ partition: number; leader: number; replicas?: number[]; isr?: number[]; leader_epoch?: number }> }>;
    };
    const entry = body.topic_partitions[topic];
    if (entry === undefined) return null;
    return entry.partitions.map((p) => ({
      partition: p.partition,
      leader: p.leader,
      replicas: p.replicas ?? [p.leader],
      isr: p.isr ?? p.replicas ?? [p.leader],
      leaderEpoch: p.leader_epoch ?? 0,
    }));
  } catch {
    return null;
  }
}

/** Creates the replicated topic the run writes to and waits until every broker shows it with full ISRs. */
export async function createChaosTopic(chaos: ChaosCluster, topic: string, partitions: number): Promise<void> {
  const body = { topic, partitions, replication_factor: Math.min(3, chaos.brokers.length), min_insync_replicas: 2 };
  // Sent again after a 5xx or no answer (a loaded machine can make the quorum miss its
  // commit wait): the same topic and partition count again answers "exists".
  const deadline = Date.now() + 60_000;
  for (let attempt = 0; ; attempt++) {
    const broker = chaos.brokers[attempt % chaos.brokers.length];
    let status = 0;
    let answer = "";
    try {
      const res = await fetch(`${broker.url}/create-topic`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      });
      status = res.status;
      answer = await res.text();
    } catch (error) {
      answer = String(error);
    }
    if (status === 200) break;
    if ((status > 0 && status < 500) || Date.now() > deadline)
      throw new Error(`create-topic ${JSON.stringify(body)} through broker ${broker.id} answered ${status || "nothing"}: ${answer}`);
    await Bun.sleep(500);
  }
  const ready = await waitForFullIsr(chaos, topic, 30_000);
  if (!ready.ok) throw new Error(`topic ${topic} never showed full ISRs on every broker: ${ready.detail}`);
}

/**
 * Waits until every broker that is up shows every partition with one leader, the same
 * epoch, and every replica in the ISR. Answers how long it took and, on timeout, what
 * was seen last.
 */
export async function waitForFullIsr(chaos: ChaosCluster, topic: string, timeoutMs: number): Promise<{ ok: boolean; ms: number; detail: string }> {
  const started = Date.now();
  let detail = "no answer yet";
  while (Date.now() - started < timeoutMs) {
    const views = await Promise.all(upBrokers(chaos).map((b) => partitionsSeenBy(b, topic)));
    const problem = isrProblem(views);
    if (problem === null) return { ok: true, ms: Date.now() - started, detail: "" };
    detail = problem;
    await Bun.sleep(200);
  }
  return { ok: false, ms: Date.now() - started, detail };
}

function isrProblem(views: Array<PartitionView[] | null>): string | null {
  if (views.length === 0) return "no broker is up";
  const first = views[0];
  if (first === null || views.some((v) => v === null)) return "a broker did not answer /metadata";
  for (const p of first) {
    if (p.isr.length !== p.replicas.length) return `partition ${p.partition}: ISR ${p.isr.join(",")} of replicas ${p.replicas.join(",")}`;
    for (const view of views) {
      const same = view!.find((q) => q.partition === p.partition);
      if (same === undefined || same.leader !== p.leader || same.leaderEpoch !== p.leaderEpoch || same.isr.length !== p.isr.length)
        return `partition ${p.partition}: brokers disagree on its leader or ISR`;
    }
  }
  return null;
}
