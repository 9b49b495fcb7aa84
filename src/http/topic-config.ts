import { Elysia, t } from "elysia";
import type { TopicConfig } from "../broker/metadata.ts";
import type { TopicConfigPatch } from "../broker/topic-admin.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { RouteContext } from "./context.ts";
import { ErrorBody } from "./models.ts";
import { json } from "./respond.ts";
import { strictFields } from "./strict-fields.ts";

/**
 * A topic's own settings over HTTP: `retention_ms` and `retention_bytes` (Kafka's
 * retention.ms and retention.bytes) given at create-topic or changed with
 * `PATCH /topics/:topic`, and shown by `GET /topics/:topic` with where each value comes
 * from, as Kafka's DescribeConfigs names a config's source.
 */

/** Body field name → the core's setting. */
const FIELDS = { retention_ms: "retentionMs", retention_bytes: "retentionBytes" } as const;
type Field = keyof typeof FIELDS;
const FIELD_NAMES = Object.keys(FIELDS) as Field[];

const Setting = t.Object({
  value: t.Union([t.Integer(), t.Null()], { description: "In effect for this topic; null: kept forever" }),
  source: t.Union([t.Literal("topic"), t.Literal("broker"), t.Literal("default")], {
    description: "topic: set on the topic; broker: the broker's flag; default: neither (keep everything)",
  }),
});

export const TopicConfigView = t.Object({ retention_ms: Setting, retention_bytes: Setting });

type SettingView = { value: number | null; source: "topic" | "broker" | "default" };

/** What is in effect for a topic with these settings on a broker with these flags. */
export function topicConfigView(own: TopicConfig, broker: TopicConfig): Record<Field, SettingView> {
  const view = {} as Record<Field, SettingView>;
  for (const field of FIELD_NAMES) {
    const key = FIELDS[field];
    const mine = own[key];
    const flag = broker[key];
    view[field] = mine !== undefined ? { value: mine, source: "topic" } : flag !== undefined ? { value: flag, source: "broker" } : { value: null, source: "default" };
  }
  return view;
}

function integerSetting(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    throw new StreamNestError("INVALID_REQUEST", `${field} must be an integer ≥ 0 (or null to unset it), got ${JSON.stringify(value) ?? String(value)}`);
  return value;
}

/** The settings given to create-topic (absent ones follow the broker's flags). */
export function createTopicConfig(body: Record<string, unknown>): TopicConfig {
  const config: TopicConfig = {};
  for (const field of FIELD_NAMES) if (body[field] !== undefined) config[FIELDS[field]] = integerSetting(field, body[field]);
  return config;
}

/** A PATCH body: only known settings, each an integer ≥ 0 or null (unset). */
export function parseConfigPatch(body: unknown): TopicConfigPatch {
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw new StreamNestError("INVALID_REQUEST", `expected a JSON object such as {"retention_ms": 86400000}`);
  const entries = Object.entries(body as Record<string, unknown>);
  if (entries.length === 0) throw new StreamNestError("INVALID_REQUEST", `name at least one setting: ${FIELD_NAMES.join(", ")}`);
  const patch: TopicConfigPatch = {};
  for (const [field, value] of entries) {
    if (!(field in FIELDS)) throw new StreamNestError("INVALID_REQUEST", `unknown topic setting ${JSON.stringify(field)}; the settings are ${FIELD_NAMES.join(", ")}`);
    patch[FIELDS[field as Field]] = value === null ? null : integerSetting(field, value);
  }
  return patch;
}

export function topicConfigRoutes({ broker, requests }: RouteContext) {
  return new Elysia().patch(
    "/topics/:topic",
    async ({ params, body }) => {
      const config = await broker.setTopicConfig(params.topic, parseConfigPatch(body));
      requests.count("PATCH", "/topics/:topic", 200);
      return json({ topic: params.topic, config: topicConfigView(config, broker.config.log) });
    },
    {
      transform: strictFields({ topicParam: "topic" }),
      params: t.Object({ topic: t.String() }),
      body: t.Unknown({ description: '{"retention_ms": 86400000, "retention_bytes": null}: a number sets a setting, null unsets it (back to the broker\'s)' }),
      response: { 200: t.Object({ topic: t.String(), config: TopicConfigView }), 400: ErrorBody, 404: ErrorBody },
      detail: {
        tags: ["topics"],
        summary: "Change a topic's settings (retention)",
        description: "Settings not named keep their value. Committed through the metadata quorum; every broker applies it at its next retention check.",
      },
    },
  );
}
