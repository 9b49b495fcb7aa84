import { Elysia, t } from "elysia";
import { CORE_LIMITS } from "../config/core.ts";
import { StreamNestError } from "../lib/errors.ts";
import { INTERNAL_ROUTES } from "../lib/internal-routes.ts";
import type { RouteContext } from "./context.ts";
import { recordsJsonBytes } from "./record-json.ts";
import { jsonBytes } from "./respond.ts";

/**
 * GET /internal/replicas/records: the answering broker's own copy of a partition, up
 * to its log end, never forwarded: the read that names the replica, so that the chaos
 * harness (scripts/chaos/) can compare every replica below the high watermark (issue
 * 12). Under /internal/ because it shows records consumers may not see yet (above the
 * high watermark); like every internal route it runs only on a call signed by a broker
 * of this cluster (http/internal.ts), which the chaos harness makes with the secret.
 */
export function internalReplicaRoutes({ broker, requests }: RouteContext) {
  return new Elysia().get(
    INTERNAL_ROUTES.replicaRecords,
    async ({ query }) => {
      const partition = whole("partition", query.partition, 0);
      const offset = whole("offset", query.offset ?? "0", 0);
      const max = whole("max", query.max ?? String(CORE_LIMITS.fetchMaxRecordsDefault.value), 1, CORE_LIMITS.fetchMaxRecords.value);
      const copy = await broker.readReplica(query.topic, partition, offset, max, CORE_LIMITS.fetchMaxBytes.value);
      const next = copy.records.length > 0 ? copy.records[copy.records.length - 1].offset + 1 : offset;
      requests.count("GET", INTERNAL_ROUTES.replicaRecords, 200);
      const head = { broker: broker.self.id, topic: query.topic, partition };
      const tail = {
        next_offset: next,
        start_offset: copy.startOffset,
        log_end_offset: copy.logEndOffset,
        high_watermark: copy.highWatermark,
        leader: copy.leader,
        leader_epoch: copy.leaderEpoch,
        replicas: copy.replicas,
        isr: copy.isr,
      };
      return jsonBytes(recordsJsonBytes(`${JSON.stringify(head).slice(0, -1)},"records":`, copy.records, `,${JSON.stringify(tail).slice(1)}`));
    },
    {
      query: t.Object({ topic: t.String(), partition: t.String(), offset: t.Optional(t.String()), max: t.Optional(t.String()) }),
      detail: {
        tags: ["internal"],
        summary: "This broker's own copy of a partition up to its log end, with its high watermark (to compare replicas)",
        description: "Broker to broker and admin tools; needs a call signed by a broker of this cluster in the x-streamnest-broker-auth header (else 401).",
      },
    },
  );
}

function whole(name: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new StreamNestError("INVALID_REQUEST", `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return value;
}
