import type { BrokerStats } from "../broker/broker-stats.ts";
import type { PartitionRange } from "../broker/types.ts";
import { StreamNestError } from "../lib/errors.ts";
import { INTERNAL_ROUTES } from "../lib/internal-routes.ts";
import type { Forwarder } from "./forwarder.ts";
import type { MemberView } from "./membership.ts";
import { malformed } from "./partition-wire.ts";

/**
 * Every broker's counters and disk use, gathered by the broker asked: a browser on one
 * broker's page cannot read the others' /metrics (another origin, and maybe another
 * network), so the serving broker asks each live peer over its authenticated internal
 * route, at once, each call bounded by the peer timeout. A broker known to be down is
 * not asked (its row says so) so that one dead broker does not slow every answer.
 */

export interface BrokerStatsRow {
  id: number | null;
  address: string;
  self: boolean;
  alive: boolean;
  /** Why there are no stats for it (down, unreachable), else null. */
  error: string | null;
  stats: BrokerStats | null;
}

const numeric = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

function countsOf(value: unknown): Record<string, number> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw malformed("stats");
  const out: Record<string, number> = {};
  for (const [topic, n] of Object.entries(value)) {
    if (!numeric(n)) throw malformed("stats");
    out[topic] = n;
  }
  return out;
}

/** A peer's answer to the stats route, checked field by field. */
export function parseBrokerStats(body: unknown): BrokerStats {
  if (body === null || typeof body !== "object") throw malformed("stats");
  const b = body as Record<string, unknown>;
  const { produced, consumed, bytesIn, bytesOut, diskBytes, partitionLogs } = b;
  if (![produced, consumed, bytesIn, bytesOut, diskBytes, partitionLogs].every(numeric)) throw malformed("stats");
  return {
    produced: produced as number,
    consumed: consumed as number,
    bytesIn: bytesIn as number,
    bytesOut: bytesOut as number,
    producedByTopic: countsOf(b.producedByTopic),
    consumedByTopic: countsOf(b.consumedByTopic),
    diskBytes: diskBytes as number,
    partitionLogs: partitionLogs as number,
  };
}

/** One row per member of the cluster, self first as the membership lists it. */
export async function gatherStats(members: MemberView[], own: () => BrokerStats, peers: Forwarder): Promise<BrokerStatsRow[]> {
  return Promise.all(
    members.map(async (m): Promise<BrokerStatsRow> => {
      const row = { id: m.id ?? null, address: m.address, self: m.self, alive: m.alive };
      if (m.self) return { ...row, error: null, stats: own() };
      if (m.id === undefined) return { ...row, error: "it has not answered a heartbeat yet", stats: null };
      if (!m.alive) return { ...row, error: "no heartbeat from it lately: not asked", stats: null };
      try {
        const body = await peers.json<unknown>({ id: m.id, address: m.address }, {
          method: "GET",
          path: INTERNAL_ROUTES.stats,
          what: "the counters",
          role: "are kept by",
        });
        return { ...row, error: null, stats: parseBrokerStats(body) };
      } catch (error) {
        if (!(error instanceof StreamNestError)) throw error;
        return { ...row, error: error.message, stats: null };
      }
    }),
  );
}

/** The answer of the all-offsets route: every partition the answering broker leads, by topic. */
export interface AllOffsetsAnswer {
  topics: Record<string, PartitionRange[]>;
}

export function encodeAllOffsets(ranges: Map<string, PartitionRange[]>): AllOffsetsAnswer {
  return { topics: Object.fromEntries(ranges) };
}

export function parseAllOffsets(body: unknown): Map<string, PartitionRange[]> {
  const topics = (body as Partial<AllOffsetsAnswer> | null)?.topics;
  if (topics === null || typeof topics !== "object" || Array.isArray(topics)) throw malformed("all-offsets");
  const out = new Map<string, PartitionRange[]>();
  for (const [topic, list] of Object.entries(topics)) {
    if (!Array.isArray(list)) throw malformed("all-offsets");
    out.set(
      topic,
      list.map((p: PartitionRange) => {
        if (![p?.partition, p?.startOffset, p?.endOffset, p?.sizeBytes].every((n) => Number.isSafeInteger(n))) throw malformed("all-offsets");
        return { partition: p.partition, startOffset: p.startOffset, endOffset: p.endOffset, sizeBytes: p.sizeBytes };
      }),
    );
  }
  return out;
}
