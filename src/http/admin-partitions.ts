import { Elysia, t } from "elysia";
import type { RouteContext } from "./context.ts";
import { ErrorBody, integerField } from "./models.ts";
import { json } from "./respond.ts";

const Accepted = t.Object({
  status: t.String({ description: '"accepted"' }),
  topic: t.String(),
  partition: t.Integer(),
  leader_epoch: t.Integer({ description: "The partition's new leader epoch: its offsets start again at 0 under it" }),
});

/**
 * `POST /admin/partitions/:topic/:partition/accept-data-loss`: the operator's word that
 * a partition whose only (or last in-sync) copy was lost with its broker's disk may come
 * back empty (broker/lost-replicas.ts). Until then it is offline; nothing ever reuses
 * its offsets silently. Sent to the partition's leader, the one broker that knows
 * whether its copy is gone.
 */
export function adminPartitionRoutes({ broker, requests }: RouteContext) {
  return new Elysia().post(
    "/admin/partitions/:topic/:partition/accept-data-loss",
    async ({ params }) => {
      const { leaderEpoch } = await broker.acceptDataLoss(params.topic, params.partition);
      requests.count("POST", "/admin/partitions/:topic/:partition/accept-data-loss", 200);
      return json({ status: "accepted", topic: params.topic, partition: params.partition, leader_epoch: leaderEpoch });
    },
    {
      params: t.Object({ topic: t.String(), partition: integerField("partition") }),
      response: { 200: Accepted, 400: ErrorBody, 404: ErrorBody },
      detail: {
        tags: ["topics"],
        summary: "Bring back, empty, a partition whose data was lost with a disk",
        description:
          "Only for a partition offline because its leader's data directory is new while the partition is older (503 naming this route). " +
          "Its leader epoch is bumped and its log starts again, empty, at offset 0. Ask the partition's leader; anything else is 400.",
      },
    },
  );
}
