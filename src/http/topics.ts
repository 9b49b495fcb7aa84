import { Elysia, t } from "elysia";
import { StreamNestError } from "../lib/errors.ts";
import { assertTopicName } from "../lib/topic-name.ts";
import type { RouteContext } from "./context.ts";
import { bodyInteger, ErrorBody, Status, TopicName } from "./models.ts";
import { json } from "./respond.ts";
import { strictFields } from "./strict-fields.ts";
import { createTopicConfig, TopicConfigView, topicConfigView } from "./topic-config.ts";

const TopicList = t.Object({ topics: t.Array(t.String()) });

const TopicTotals = t.Object({
  topic: t.String(),
  created_at: t.Integer(),
  schema_version: t.Union([t.Integer(), t.Null()]),
  partitions: t.Integer(),
  replication_factor: t.Integer(),
  messages: t.Integer({ description: "Records kept (end minus start offset), over the reported partitions" }),
  size_bytes: t.Integer({ description: "Bytes on disk of the reported partitions' logs on their leaders" }),
  unreported_partitions: t.Integer({ description: "Partitions whose leader could not be asked (not in the totals)" }),
});

const TopicListWithDetails = t.Object({
  topics: t.Array(t.String()),
  total: t.Optional(t.Integer({ description: "Names matching `contains` on every page (with a page asked, or details)" })),
  details: t.Optional(t.Array(TopicTotals)),
});

const PartitionDescription = t.Object({
  partition: t.Integer(),
  leader: t.Integer({ description: "Broker id of the leader" }),
  replicas: t.Array(t.Integer()),
  leader_epoch: t.Integer(),
  broker: t.String({ description: "host:port of the leader" }),
  start_offset: t.Optional(t.Integer({ description: "First offset still kept (local partitions)" })),
  end_offset: t.Optional(t.Integer({ description: "Next offset to be written (local partitions)" })),
  size_bytes: t.Optional(t.Integer({ description: "Bytes on disk (local partitions)" })),
  isr: t.Optional(t.Array(t.Integer(), { description: "Replicated topics: the in-sync replicas" })),
  high_watermark: t.Optional(t.Integer({ description: "Replicated topics: records below it are committed (partitions led by the answering broker)" })),
});

const TopicDescription = t.Object({
  topic: t.String(),
  created_at: t.Integer(),
  schema_version: t.Union([t.Integer(), t.Null()]),
  partitions: t.Array(PartitionDescription),
  replication_factor: t.Optional(t.Integer({ description: "Replicated topics (factor above 1) only" })),
  min_insync_replicas: t.Optional(t.Integer({ description: "Replicated topics only" })),
  config: TopicConfigView,
});

/** Topics: the seed's /create-topic and /list-topics, and the /topics/:topic resource. */
export function topicRoutes(context: RouteContext) {
  const { broker, requests } = context;
  // With authentication on, a principal sees only the topics it may describe (issue 14).
  const visible = (request: Request, names: string[]): string[] => context.access?.describableTopics(request, names) ?? names;
  return new Elysia()
    .post(
      "/create-topic",
      async ({ body }) => {
        const config = createTopicConfig(body);
        const status = await broker.createTopic(body.topic, body.partitions, {
          ...(body.replication_factor !== undefined ? { replicationFactor: body.replication_factor } : {}),
          ...(body.min_insync_replicas !== undefined ? { minInsyncReplicas: body.min_insync_replicas } : {}),
          ...(Object.keys(config).length > 0 ? { config } : {}),
        });
        requests.count("POST", "/create-topic", 200);
        return json({ status });
      },
      {
        // Any bad partition count is INVALID_PARTITIONS, whether its type or its range is
        // wrong (the broker checks the range); the name is checked first, as the broker does.
        transform({ body }) {
          const fields = body as { topic?: unknown; partitions?: unknown } | null;
          if (typeof fields?.topic !== "string") return;
          assertTopicName(fields.topic);
          const partitions = fields.partitions;
          if (partitions !== undefined && !(typeof partitions === "number" && Number.isInteger(partitions)))
            throw new StreamNestError(
              "INVALID_PARTITIONS",
              `partitions must be an integer from 1 to ${broker.config.maxPartitions}, got ${typeof partitions === "number" ? String(partitions) : JSON.stringify(partitions)}`,
            );
        },
        body: t.Object(
          {
            topic: TopicName,
            partitions: bodyInteger("partitions", "1 to --max-partitions"),
            replication_factor: t.Optional(bodyInteger("replication_factor", "1 to the number of brokers")),
            min_insync_replicas: t.Optional(bodyInteger("min_insync_replicas", "1 to the replication factor")),
            retention_ms: t.Optional(t.Unknown({ description: "Delete this topic's segments older than this (ms); absent: the broker's --retention-ms" })),
            retention_bytes: t.Optional(t.Unknown({ description: "Delete this topic's oldest segments while a partition is larger (bytes); absent: the broker's --retention-bytes" })),
          },
          // A misspelt field (replication_facter) would create the topic with a default in its place.
          { additionalProperties: false },
        ),
        response: { 200: Status, 400: ErrorBody, 409: ErrorBody },
        detail: {
          tags: ["topics"],
          summary: "Create a topic",
          description: '`{"status":"created"}`, or `{"status":"exists"}` when it exists with this partition count; 409 TOPIC_EXISTS with another count.',
        },
      },
    )
    .get(
      "/list-topics",
      ({ query, request }) => {
        requests.count("GET", "/list-topics", 200);
        return json({ topics: visible(request, broker.listTopics(query.internal === "true")) });
      },
      {
        transform: strictFields({ once: ["internal"] }),
        // Unknown query fields are ignored here as on every route (a cache buster, say).
        query: t.Object(
          { internal: t.Optional(t.String({ description: "true: include internal topics (__consumer_offsets)" })) },
          { additionalProperties: true },
        ),
        response: { 200: TopicList },
        detail: { tags: ["topics"], summary: "List topic names" },
      },
    )
    .get(
      "/topics",
      async ({ query, request }) => {
        const paged = query.contains !== undefined || query.offset !== undefined || query.limit !== undefined;
        let names = visible(request, broker.listTopics());
        const total = (list: string[]) => (paged || query.details === "true" ? { total: list.length } : {});
        if (query.contains !== undefined) {
          const needle = query.contains.toLowerCase();
          names = names.filter((n) => n.toLowerCase().includes(needle));
        }
        const matching = names;
        const from = (query.offset as number | undefined) ?? 0;
        names = names.slice(from, query.limit === undefined ? undefined : from + (query.limit as number));
        if (query.details !== "true") {
          requests.count("GET", "/topics", 200);
          return json({ topics: names, ...total(matching) });
        }
        const summaries = await broker.summarizeTopics(names);
        requests.count("GET", "/topics", 200);
        return json({
          topics: summaries.map((s) => s.topic),
          ...total(matching),
          details: summaries.map((s) => ({
            topic: s.topic,
            created_at: s.createdAt,
            schema_version: s.schemaVersion,
            partitions: s.partitions,
            replication_factor: s.replicationFactor,
            messages: s.messages,
            size_bytes: s.sizeBytes,
            unreported_partitions: s.unreportedPartitions,
          })),
        });
      },
      {
        transform: strictFields({ once: ["details", "contains"], query: { offset: { minimum: 0 }, limit: { minimum: 1 } } }),
        query: t.Object(
          {
            details: t.Optional(
              t.Union([t.Literal("true"), t.Literal("false")], { description: "true: add each topic's totals (one call per broker, not per topic)", error: 'details must be "true" or "false"' }),
            ),
            contains: t.Optional(t.String({ description: "Only names containing this text (ignoring case)" })),
            offset: t.Optional(t.Integer({ minimum: 0, description: "Skip this many of the matching names (sorted)" })),
            limit: t.Optional(t.Integer({ minimum: 1, description: "At most this many names" })),
          },
          { additionalProperties: true },
        ),
        response: { 200: TopicListWithDetails },
        detail: {
          tags: ["topics"],
          summary: "List topic names, a page of them; with details=true, each topic's partitions, messages and size",
          description:
            "Read-only. Names are sorted; `contains`, `offset` and `limit` select a page and add `total` (the names matching). With `details=true` the broker adds up each partition's offsets and size from its leader, asking each other broker once for everything it leads; a partition whose leader cannot be reached is counted in `unreported_partitions` and left out of the totals.",
        },
      },
    )
    .get(
      "/topics/:topic",
      async ({ params }) => {
        const d = await broker.describeTopicAcrossCluster(params.topic);
        requests.count("GET", "/topics/:topic", 200);
        return json({
          topic: d.topic,
          created_at: d.createdAt,
          schema_version: d.schemaVersion,
          partitions: d.partitions.map((p) => ({
            partition: p.partition,
            leader: p.leader,
            replicas: p.replicas,
            leader_epoch: p.leaderEpoch,
            broker: p.broker,
            start_offset: p.startOffset,
            end_offset: p.endOffset,
            size_bytes: p.sizeBytes,
            ...(p.isr !== undefined ? { isr: p.isr } : {}),
            ...(p.highWatermark !== undefined ? { high_watermark: p.highWatermark } : {}),
          })),
          ...(d.replicationFactor !== undefined ? { replication_factor: d.replicationFactor, min_insync_replicas: d.minInsyncReplicas } : {}),
          config: topicConfigView(d.config, broker.config.log),
        });
      },
      {
        transform: strictFields({ topicParam: "topic" }),
        params: t.Object({ topic: t.String() }),
        response: { 200: TopicDescription, 400: ErrorBody, 404: ErrorBody },
        detail: { tags: ["topics"], summary: "Describe a topic: partitions, offsets, sizes, schema version" },
      },
    )
    .delete(
      "/topics/:topic",
      async ({ params }) => {
        await broker.deleteTopic(params.topic);
        requests.count("DELETE", "/topics/:topic", 200);
        return json({ status: "deleted", topic: params.topic });
      },
      {
        transform: strictFields({ topicParam: "topic" }),
        params: t.Object({ topic: t.String() }),
        response: { 200: t.Object({ status: t.String(), topic: t.String() }), 400: ErrorBody, 404: ErrorBody },
        detail: { tags: ["topics"], summary: "Delete a topic with its data and schemas" },
      },
    );
}
