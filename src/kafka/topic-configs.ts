import type { TopicConfigPatch } from "../broker/topic-admin.ts";
import type { TopicDescription } from "../broker/types.ts";
import type { BrokerConfig } from "../broker/config.ts";
import { CORE } from "../config/core.ts";
import type { StreamNestError } from "../lib/errors.ts";
import { protocolError } from "./protocol/error-codes.ts";

/**
 * The Kafka configs StreamNest has, under Kafka's names, for DescribeConfigs,
 * AlterConfigs, IncrementalAlterConfigs and CreateTopics: one table, so each API shows
 * and accepts the same settings. A topic's own retention.ms and retention.bytes can be
 * changed (the core's per-topic config); min.insync.replicas can be chosen when a topic
 * is created; everything else follows the broker's flags and is read-only.
 */

/** Config sources (KIP-226). */
export const CONFIG_SOURCE = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;
/** Config types (KIP-569). */
const TYPE = { INT: 3, LONG: 5, LIST: 7 } as const;

/** Kafka's "no limit" for retention.ms and retention.bytes. */
const UNLIMITED = -1;
/**
 * A topic that asks for no limit while the broker has one stores the largest limit a
 * setting can hold (the core's settings are non-negative): no segment is ever that old
 * or a log that large, and it reads back as -1.
 */
const STORED_UNLIMITED = Number.MAX_SAFE_INTEGER;

export interface Synonym {
  name: string;
  value: string;
  source: number;
}

export interface ConfigEntry {
  name: string;
  value: string;
  readOnly: boolean;
  source: number;
  type: number;
  /** Where the value comes from, most specific first (DescribeConfigs v1+ include_synonyms). */
  synonyms: Synonym[];
  documentation: string;
}

/** A broker-wide setting: the flag's value, or its default when the flag was not given. */
function brokerLevel(name: string, value: string, defaultValue: string): Synonym {
  return { name, value, source: value === defaultValue ? CONFIG_SOURCE.DEFAULT_CONFIG : CONFIG_SOURCE.STATIC_BROKER_CONFIG };
}

function limitText(value: number | undefined): string {
  return value === undefined || value >= STORED_UNLIMITED ? String(UNLIMITED) : String(value);
}

/** The broker-level synonyms of every topic config (Kafka's KafkaConfig names), by topic name, in the order shown. */
function brokerSettings(config: BrokerConfig, replicationFactor: number): Map<string, { synonym: Synonym; type: number; doc: string }> {
  const limitless = String(UNLIMITED);
  const segmentBytes = String(config.log.segmentBytes ?? CORE.segmentBytes.default);
  const minIsr = replicationFactor > 1 ? "2" : "1";
  const setting = (synonym: Synonym, type: number, doc: string) => ({ synonym, type, doc });
  return new Map([
    [
      "retention.ms",
      setting(brokerLevel("log.retention.ms", limitText(config.log.retentionMs), limitless), TYPE.LONG, "Delete segments whose newest record is older than this; -1: keep forever."),
    ],
    [
      "retention.bytes",
      setting(brokerLevel("log.retention.bytes", limitText(config.log.retentionBytes), limitless), TYPE.LONG, "Delete the oldest segments while a partition is larger than this; -1: no limit."),
    ],
    ["segment.bytes", setting(brokerLevel("log.segment.bytes", segmentBytes, String(CORE.segmentBytes.default)), TYPE.INT, "Roll to a new segment at this size.")],
    [
      "max.message.bytes",
      setting(brokerLevel("message.max.bytes", String(config.maxMessageBytes), String(CORE.maxMessageBytes.default)), TYPE.INT, "The largest record (value, key and headers) accepted."),
    ],
    ["cleanup.policy", setting(brokerLevel("log.cleanup.policy", "delete", "delete"), TYPE.LIST, "Whole old segments are deleted (no compaction).")],
    // StreamNest's default min ISR follows the replication factor (2 when replicated).
    ["min.insync.replicas", setting(brokerLevel("min.insync.replicas", minIsr, minIsr), TYPE.INT, "In-sync replicas an acks=all produce needs.")],
  ]);
}

/** The settings a topic may set for itself and change later (AlterConfigs). */
const ALTERABLE = new Set(["retention.ms", "retention.bytes"]);

/** A topic's configs: its own where it has them, else the broker's. */
export function topicConfigs(config: BrokerConfig, topic: TopicDescription): ConfigEntry[] {
  const factor = topic.replicationFactor ?? topic.partitions[0]?.replicas.length ?? 1;
  const own = new Map<string, string>();
  if (topic.config.retentionMs !== undefined) own.set("retention.ms", limitText(topic.config.retentionMs));
  if (topic.config.retentionBytes !== undefined) own.set("retention.bytes", limitText(topic.config.retentionBytes));
  if (topic.minInsyncReplicas !== undefined) own.set("min.insync.replicas", String(topic.minInsyncReplicas));
  const entries: ConfigEntry[] = [];
  for (const [name, { synonym, type, doc }] of brokerSettings(config, factor)) {
    const value = own.get(name);
    const synonyms = value === undefined ? [synonym] : [{ name, value, source: CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG }, synonym];
    entries.push({ name, value: synonyms[0].value, readOnly: !ALTERABLE.has(name), source: synonyms[0].source, type, synonyms, documentation: doc });
  }
  // Not a Kafka topic config, but what tools show beside them (kafka-topics --describe).
  entries.push({
    name: "replication.factor",
    value: String(factor),
    readOnly: true,
    source: CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG,
    type: TYPE.INT,
    synonyms: [],
    documentation: "Replicas of each partition, chosen when the topic was created.",
  });
  return entries;
}

/** The broker's configs, under Kafka's broker-level names: all read-only (they are its flags). */
export function brokerConfigs(config: BrokerConfig, liveBrokers: number): ConfigEntry[] {
  const factor = Math.min(config.defaultReplicationFactor, Math.max(liveBrokers, 1));
  const entries: ConfigEntry[] = [...brokerSettings(config, factor).values()].map(({ synonym, type, doc }) => ({
    name: synonym.name,
    value: synonym.value,
    readOnly: true,
    source: synonym.source,
    type,
    synonyms: [synonym],
    documentation: doc,
  }));
  const defaultFactor = { name: "default.replication.factor", value: String(factor), source: CONFIG_SOURCE.STATIC_BROKER_CONFIG };
  entries.push({ ...defaultFactor, readOnly: true, type: TYPE.INT, synonyms: [defaultFactor], documentation: "Replicas of a topic created without a factor (capped at the live brokers)." });
  return entries;
}

export function invalidConfig(message: string): StreamNestError {
  return protocolError("INVALID_REQUEST", "INVALID_CONFIG", message);
}

/** A retention value as Kafka writes it: -1 (no limit) or a non-negative integer. */
function parseLimit(name: string, value: string | null): number {
  const n = value === null || !/^-?\d+$/.test(value.trim()) ? Number.NaN : Number(value.trim());
  if (!Number.isSafeInteger(n) || n < UNLIMITED) throw invalidConfig(`${name} must be -1 (no limit) or an integer ≥ 0, got ${JSON.stringify(value)}`);
  return n === UNLIMITED ? STORED_UNLIMITED : n;
}

/** A config an alter request names, with what to do: set a value, or unset it (back to the broker's). */
export interface ConfigChange {
  name: string;
  /** null: unset. */
  value: string | null;
}

/**
 * The core's patch for a topic's alterable configs. A read-only config may be named only
 * with the value it already has (so "describe, then alter all" works); any other change
 * to it, and any name StreamNest does not know, is INVALID_CONFIG naming every one.
 */
export function topicConfigPatch(current: readonly ConfigEntry[], changes: readonly ConfigChange[]): TopicConfigPatch {
  const byName = new Map(current.map((e) => [e.name, e]));
  const unknown: string[] = [];
  const readOnly: string[] = [];
  const patch: TopicConfigPatch = {};
  for (const { name, value } of changes) {
    const entry = byName.get(name);
    if (entry === undefined) unknown.push(name);
    else if (!entry.readOnly) {
      const parsed = value === null ? null : parseLimit(name, value);
      if (name === "retention.ms") patch.retentionMs = parsed;
      else patch.retentionBytes = parsed;
    } else if (value !== entry.value) readOnly.push(name);
  }
  const problems = [
    ...(unknown.length > 0 ? [`unknown config${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`] : []),
    ...(readOnly.length > 0 ? [`read-only config${readOnly.length > 1 ? "s" : ""} ${readOnly.join(", ")} (only retention.ms and retention.bytes can be changed)`] : []),
  ];
  if (problems.length > 0) throw invalidConfig(problems.join("; "));
  return patch;
}

/** The configs CreateTopics may give a new topic. */
export interface NewTopicConfigs {
  retentionMs?: number;
  retentionBytes?: number;
  minInsyncReplicas?: number;
}

/**
 * CreateTopics' `configs`: retention.ms, retention.bytes and min.insync.replicas are the
 * topic's own; the others are accepted only with the broker's value (cleanup.policy=delete,
 * say); anything else is INVALID_CONFIG naming it.
 */
export function newTopicConfigs(config: BrokerConfig, replicationFactor: number, entries: readonly ConfigChange[]): NewTopicConfigs {
  const settings = brokerSettings(config, replicationFactor);
  const out: NewTopicConfigs = {};
  const bad: string[] = [];
  for (const { name, value } of entries) {
    if (name === "retention.ms") out.retentionMs = parseLimit(name, value);
    else if (name === "retention.bytes") out.retentionBytes = parseLimit(name, value);
    else if (name === "min.insync.replicas") {
      const n = value === null ? Number.NaN : Number(value);
      if (!Number.isInteger(n) || n < 1 || n > replicationFactor)
        throw invalidConfig(`min.insync.replicas must be an integer from 1 to the replication factor ${replicationFactor}, got ${JSON.stringify(value)}`);
      out.minInsyncReplicas = n;
    } else if (settings.get(name)?.synonym.value !== value) bad.push(name);
  }
  if (bad.length > 0)
    throw invalidConfig(`config${bad.length > 1 ? "s" : ""} ${bad.join(", ")} cannot be set for a topic (only retention.ms, retention.bytes and min.insync.replicas can)`);
  return out;
}
