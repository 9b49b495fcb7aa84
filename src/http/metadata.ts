import { Elysia, t } from "elysia";
import type { RouteContext } from "./context.ts";
import { json } from "./respond.ts";

const MetadataAnswer = t.Object({
  topic_partitions: t.Record(
    t.String(),
    t.Object({
      partitions: t.Array(
        t.Object({
          partition: t.Integer(),
          broker: t.String({ description: "host:port of the partition's leader" }),
          leader: t.Integer({ description: "Broker id of the leader" }),
        }),
      ),
    }),
  ),
  brokers: t.Array(t.Object({ id: t.Integer(), address: t.String() })),
  version: t.Integer({ description: "Metadata version" }),
});

/** The seed's /metadata: where each partition lives. */
export function metadataRoutes({ broker, requests }: RouteContext) {
  return new Elysia().get(
    "/metadata",
    () => {
      const view = broker.clusterMetadata();
      // A null-prototype object: "__proto__" is a legal topic name.
      const topicPartitions: Record<string, { partitions: { partition: number; broker: string; leader: number }[] }> =
        Object.create(null) as Record<string, { partitions: { partition: number; broker: string; leader: number }[] }>;
      for (const topic of view.topics)
        topicPartitions[topic.topic] = {
          partitions: topic.partitions.map((p) => ({ partition: p.partition, broker: p.broker, leader: p.leader })),
        };
      requests.count("GET", "/metadata", 200);
      return json({ topic_partitions: topicPartitions, brokers: view.brokers, version: view.version });
    },
    { response: { 200: MetadataAnswer }, detail: { tags: ["cluster"], summary: "Topics, partitions and their brokers" } },
  );
}
