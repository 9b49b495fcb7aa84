import { defineCommand } from "citty";
import type { StreamNestClient, TopicConfigView, TopicDescription, TopicSettingView } from "../client/index.ts";
import { bytes } from "../config/read.ts";
import { StreamNestError } from "../lib/errors.ts";
import { clientFor, integerFlag, metaArg, tlsArgs, tokenArg } from "./cli/args.ts";
import { guarded, usageError } from "./cli/fail.ts";
import { exit, log, out } from "./cli/output.ts";

const formatArg = {
  type: "enum" as const,
  options: ["text", "json"],
  default: "text",
  description: "text for people, json for scripts",
};

const nameArg = { type: "positional", description: "topic name", required: true } as const;

const list = defineCommand({
  meta: { name: "list", description: "List the topics, one a line" },
  args: { meta: metaArg, token: tokenArg, ...tlsArgs, format: formatArg },
  async run({ args }) {
    await guarded(async () => {
      const topics = (await clientFor(args.meta, args).listTopics()).sort();
      if (args.format === "json") await out(`${JSON.stringify(topics)}\n`);
      else await out(topics.map((t) => `${t}\n`).join(""));
      await exit(0);
    });
  },
});

const create = defineCommand({
  meta: { name: "create", description: "Create a topic" },
  args: {
    name: nameArg,
    meta: metaArg, token: tokenArg, ...tlsArgs,
    partitions: { type: "string", description: "number of partitions", default: "1", valueHint: "N" },
    "replication-factor": { type: "string", description: "replicas of each partition (default: the brokers' --default-replication-factor)", valueHint: "N" },
    "min-insync-replicas": { type: "string", description: "acks=all needs this many in-sync replicas (default 2, or 1 with one replica)", valueHint: "N" },
    "retention-ms": { type: "string", description: "delete this topic's segments older than this (default: the brokers' --retention-ms)", valueHint: "ms" },
    "retention-bytes": { type: "string", description: "delete this topic's oldest segments while a partition is larger (default: the brokers' --retention-bytes)", valueHint: "bytes" },
  },
  async run({ args }) {
    await guarded(async () => {
      const partitions = integerFlag("partitions", args.partitions, 1) ?? 1;
      const factor = integerFlag("replication-factor", args["replication-factor"], 1);
      const minIsr = integerFlag("min-insync-replicas", args["min-insync-replicas"], 1);
      const retentionMs = integerFlag("retention-ms", args["retention-ms"], 0);
      const retentionBytes = bytesFlag(args["retention-bytes"]);
      const result = await clientFor(args.meta, args).createTopic(args.name, partitions, {
        ...(factor !== undefined ? { replicationFactor: factor } : {}),
        ...(minIsr !== undefined ? { minInsyncReplicas: minIsr } : {}),
        ...(retentionMs !== undefined ? { retentionMs } : {}),
        ...(retentionBytes !== undefined ? { retentionBytes } : {}),
      });
      log.success(
        result.status === "created"
          ? `created topic ${args.name} with ${partitions} partition${partitions === 1 ? "" : "s"}`
          : `topic ${args.name} already exists with ${partitions} partition${partitions === 1 ? "" : "s"}`,
      );
      await exit(0);
    });
  },
});

const describe = defineCommand({
  meta: { name: "describe", description: "Show a topic's partitions, leaders, offsets, sizes and schema version" },
  args: { name: nameArg, meta: metaArg, token: tokenArg, ...tlsArgs, format: formatArg },
  async run({ args }) {
    await guarded(async () => {
      const client = clientFor(args.meta, args);
      const description = await withTopicList(client, () => client.describeTopic(args.name));
      if (args.format === "json") await out(`${JSON.stringify(description)}\n`);
      else await out(renderDescription(description));
      await exit(0);
    });
  },
});

/** A setting's flag: a whole number sets it, "default" unsets it (the brokers' flag applies). */
/** --retention-bytes: a size as the broker's own flag takes it (1073741824, 1GiB, 512m). */
function bytesFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return bytes("--retention-bytes", String(value), 0);
  } catch (error) {
    throw usageError(error instanceof Error ? error.message : String(error));
  }
}

function settingFlag(name: string, value: string | undefined): number | null | undefined {
  if (value !== undefined && String(value).trim() === "default") return null;
  return integerFlag(name, value, 0);
}

const alter = defineCommand({
  meta: {
    name: "alter",
    description: "Add partitions to a topic (keys may map to other partitions afterwards, as in Kafka) or change its settings (retention; \"default\" gives a setting back to the brokers' flag)",
  },
  args: {
    name: nameArg,
    meta: metaArg, token: tokenArg, ...tlsArgs,
    partitions: { type: "string", description: "the new total number of partitions (more than now)", valueHint: "N" },
    "retention-ms": { type: "string", description: "delete segments older than this, or \"default\"", valueHint: "ms|default" },
    "retention-bytes": { type: "string", description: "delete the oldest segments while a partition is larger, or \"default\"", valueHint: "bytes|default" },
  },
  async run({ args }) {
    await guarded(async () => {
      const partitions = integerFlag("partitions", args.partitions, 1);
      const retentionMs = settingFlag("retention-ms", args["retention-ms"]);
      const retentionBytes = args["retention-bytes"] !== undefined && String(args["retention-bytes"]).trim() === "default" ? null : bytesFlag(args["retention-bytes"]);
      if (partitions === undefined && retentionMs === undefined && retentionBytes === undefined)
        throw usageError("give --partitions=N, --retention-ms or --retention-bytes (a number, or \"default\")");
      const client = clientFor(args.meta, args);
      if (partitions !== undefined) {
        const result = await withTopicList(client, () => client.createPartitions(args.name, partitions));
        log.success(`topic ${args.name} now has ${result.partitions} partitions (had ${result.previous})`);
      }
      if (retentionMs !== undefined || retentionBytes !== undefined) {
        const config = await withTopicList(client, () =>
          client.setTopicConfig(args.name, {
            ...(retentionMs !== undefined ? { retentionMs } : {}),
            ...(retentionBytes !== undefined ? { retentionBytes } : {}),
          }),
        );
        log.success(`topic ${args.name}: ${renderConfig(config)}`);
      }
      await exit(0);
    });
  },
});

const remove = defineCommand({
  meta: { name: "delete", description: "Delete a topic and all its messages" },
  args: { name: nameArg, meta: metaArg, token: tokenArg, ...tlsArgs },
  async run({ args }) {
    await guarded(async () => {
      const client = clientFor(args.meta, args);
      await withTopicList(client, () => client.deleteTopic(args.name));
      log.success(`deleted topic ${args.name}`);
      await exit(0);
    });
  },
});

export default defineCommand({
  meta: { name: "topics", description: "List, create, describe, alter and delete topics" },
  subCommands: { list, create, describe, alter, delete: remove },
});

/** A broker's "no such topic" completed with the topics there are, for the one-line error. */
async function withTopicList<T>(client: StreamNestClient, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof StreamNestError && error.code === "TOPIC_NOT_FOUND") {
      const topics = await client.listTopics().catch(() => undefined);
      throw new StreamNestError(error.code, error.message, topics ? { topics: topics.sort() } : error.details);
    }
    throw error;
  }
}

export function renderDescription(description: TopicDescription): string {
  // A replicated topic adds its replicas, ISR, leader epoch and high watermark; a topic
  // with one replica keeps the columns it always had.
  const replicated = description.replication_factor !== undefined;
  const header = ["PARTITION", "LEADER", "START", "END", "MESSAGES", "BYTES", ...(replicated ? ["REPLICAS", "ISR", "EPOCH", "HW"] : [])];
  // Offsets and sizes come from the broker that leads the partition; "-" where unknown.
  const known = (n: number | undefined) => (n === undefined ? "-" : String(n));
  const rows = description.partitions.map((p) => [
    String(p.partition),
    p.broker,
    known(p.start_offset),
    known(p.end_offset),
    p.start_offset === undefined || p.end_offset === undefined ? "-" : String(p.end_offset - p.start_offset),
    known(p.size_bytes),
    ...(replicated ? [p.replicas.join(","), (p.isr ?? p.replicas).join(","), String(p.leader_epoch), known(p.high_watermark)] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `${cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()}\n`;
  const schema = description.schema_version === null ? "none" : `version ${description.schema_version}`;
  return (
    `Topic: ${description.topic}  Partitions: ${description.partitions.length}  Schema: ${schema}` +
    (replicated ? `  Replication: ${description.replication_factor}  Min ISR: ${description.min_insync_replicas ?? 1}` : "") +
    "\n" +
    (description.config ? `${renderConfig(description.config)}\n` : "") +
    line(header) +
    rows.map(line).join("")
  );
}

/** "retention.ms=3600000 (topic)  retention.bytes=keep (default)" */
export function renderConfig(config: TopicConfigView): string {
  const one = (name: string, s: TopicSettingView) => `${name}=${s.value === null ? "keep" : s.value} (${s.source})`;
  return `${one("retention.ms", config.retention_ms)}  ${one("retention.bytes", config.retention_bytes)}`;
}
