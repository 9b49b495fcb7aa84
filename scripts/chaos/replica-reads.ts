import type { BrokerProcess } from "../../test/helpers/broker-harness.ts";
import { signedInternalHeaders } from "../../test/helpers/signed-internal-call.ts";
import { INTERNAL_ROUTES } from "../../src/lib/internal-routes.ts";
import { type ChaosCluster, partitionsSeenBy } from "./cluster.ts";
import type { ReplicaLog } from "./history.ts";

/**
 * The end of a chaos run: every replica of every partition read from offset 0 to its
 * log end, each on its own broker (GET /internal/replicas/records, which never
 * forwards), once the replicas have converged: the same log end and high watermark on
 * every replica, as they are once the followers have fetched everything and learned
 * the leader's high watermark.
 */

interface CopyPage {
  records: Array<{ offset: number; message: string }>;
  next_offset: number;
  log_end_offset: number;
  high_watermark: number;
}

async function readPage(broker: BrokerProcess, secret: string, topic: string, partition: number, offset: number, max: number): Promise<CopyPage> {
  const query = new URLSearchParams({ topic, partition: String(partition), offset: String(offset), max: String(max) });
  const path = `${INTERNAL_ROUTES.replicaRecords}?${query}`;
  // Signed as a broker of the cluster would, for this broker (the secret itself never crosses the wire).
  const res = await fetch(`${broker.url}${path}`, {
    headers: signedInternalHeaders(secret, broker.id, "GET", path),
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status !== 200) throw new Error(`broker ${broker.id}: ${INTERNAL_ROUTES.replicaRecords} of ${topic}/${partition} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as CopyPage;
}

/** Polls until every replica of every partition shows one log end equal to one high watermark; answers what was seen last if not. */
export async function waitForConvergence(chaos: ChaosCluster, topic: string, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  const started = Date.now();
  let detail = "";
  while (Date.now() - started < timeoutMs) {
    const placement = await partitionsSeenBy(chaos.brokers[0], topic);
    if (placement !== null) {
      const ends = await Promise.all(
        placement.flatMap((p) =>
          p.replicas.map(async (id) => {
            const page = await readPage(chaos.cluster.broker(id), chaos.secret, topic, p.partition, 0, 1).catch(() => null);
            return { partition: p.partition, id, end: page?.log_end_offset ?? -1, hw: page?.high_watermark ?? -1 };
          }),
        ),
      );
      const byPartition = new Map<number, Set<string>>();
      for (const e of ends) byPartition.set(e.partition, (byPartition.get(e.partition) ?? new Set()).add(e.end === e.hw ? String(e.end) : "moving"));
      const unsettled = [...byPartition].filter(([, marks]) => marks.size !== 1 || marks.has("moving") || marks.has("-1"));
      if (unsettled.length === 0) return { ok: true, detail: "" };
      detail = ends.map((e) => `${e.partition}@${e.id}: end ${e.end} hw ${e.hw}`).join("; ");
    }
    await Bun.sleep(250);
  }
  return { ok: false, detail };
}

/** Every replica's whole log (from offset 0 to its end) and its high watermark, for the checker. */
export async function readEveryReplica(chaos: ChaosCluster, topic: string): Promise<ReplicaLog[]> {
  const placement = await partitionsSeenBy(chaos.brokers[0], topic);
  if (placement === null) throw new Error(`broker ${chaos.brokers[0].id} did not show the placement of ${topic}`);
  const logs: ReplicaLog[] = [];
  for (const p of placement) {
    for (const id of p.replicas) {
      const broker = chaos.cluster.broker(id);
      const log: ReplicaLog = { topic, partition: p.partition, broker: String(id), highWatermark: 0, records: [] };
      for (let offset = 0, first = true; ; first = false) {
        const page = await readPage(broker, chaos.secret, topic, p.partition, offset, 10_000);
        if (first) log.highWatermark = page.high_watermark;
        for (const r of page.records) log.records.push({ offset: r.offset, value: r.message });
        if (page.records.length === 0 || page.next_offset >= page.log_end_offset) break;
        offset = page.next_offset;
      }
      logs.push(log);
    }
  }
  return logs;
}
