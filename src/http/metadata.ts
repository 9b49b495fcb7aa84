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
          replicas: t.Optional(t.Array(t.Integer(), { description: "Replicated topics: broker ids holding a replica, preferred leader first" })),
          isr: t.Optional(t.Array(t.Integer(), { description: "Replicated topics: the in-sync replicas" })),
          leader_epoch: t.Optional(t.Integer({ description: "Replicated topics: the leader epoch" })),
        }),
      ),
      replication_factor: t.Optional(t.Integer({ description: "Replicated topics (factor above 1) only" })),
      min_insync_replicas: t.Optional(t.Integer({ description: "Replicated topics only: acks=all is refused below it" })),
    }),
  ),
  brokers: t.Array(t.Object({ id: t.Integer(), address: t.String() })),
  version: t.Integer({ description: "Metadata version" }),
});

interface TopicEntry {
  partitions: { partition: number; broker: string; leader: number; replicas?: number[]; isr?: number[]; leader_epoch?: number }[];
  replication_factor?: number;
  min_insync_replicas?: number;
}

/** The seed's /metadata: where each partition lives. */
export function metadataRoutes(context: RouteContext) {
  const { broker, requests } = context;
  return new Elysia().get(
    "/metadata",
    ({ request }) => {
      const view = broker.clusterMetadata();
      // With authentication on, only the topics the principal may describe (issue 14).
      const shown = context.access ? new Set(context.access.describableTopics(request, view.topics.map((t) => t.topic))) : undefined;
      // A null-prototype object: "__proto__" is a legal topic name.
      const topicPartitions: Record<string, TopicEntry> = Object.create(null) as Record<string, TopicEntry>;
      for (const topic of view.topics) {
        if (shown !== undefined && !shown.has(topic.topic)) continue;
        // A single-replica topic keeps the seed's shape exactly; replicated ones add their state.
        const entry: TopicEntry = {
          partitions: topic.partitions.map((p) =>
            p.replicas === undefined
              ? { partition: p.partition, broker: p.broker, leader: p.leader }
              : { partition: p.partition, broker: p.broker, leader: p.leader, replicas: p.replicas, isr: p.isr, leader_epoch: p.leaderEpoch },
          ),
        };
        if (topic.replicationFactor !== undefined) {
          entry.replication_factor = topic.replicationFactor;
          entry.min_insync_replicas = topic.minInsyncReplicas;
        }
        topicPartitions[topic.topic] = entry;
      }
      requests.count("GET", "/metadata", 200);
      return json({ topic_partitions: topicPartitions, brokers: view.brokers, version: view.version });
    },
    { response: { 200: MetadataAnswer }, detail: { tags: ["cluster"], summary: "Topics, partitions and their brokers" } },
  );
}
