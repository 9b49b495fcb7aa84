/**
 * What the broker's API accepts, read from its OpenAPI document (/swagger/json), so
 * the console offers a field only when the broker takes it: a create-topic setting the
 * body schema does not declare would be silently ignored, not applied.
 */

export interface TopicSetting {
  /** Body field name. */
  field: string;
  label: string;
  help: string;
}

export const TOPIC_SETTINGS: readonly TopicSetting[] = [
  { field: "replication_factor", label: "Replication factor", help: "copies of each partition" },
  { field: "min_insync_replicas", label: "Min in-sync replicas", help: "acks needed for a write" },
  { field: "retention_ms", label: "Retention (ms)", help: "delete segments older than this" },
  { field: "retention_bytes", label: "Retention (bytes)", help: "per partition" },
];

type Json = { [key: string]: unknown };

function child(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Json)[key] : undefined;
}

/** The property names of the JSON body of `POST path` in an OpenAPI 3 document. */
export function bodyProperties(openapi: unknown, path: string): Set<string> {
  const schema = child(child(child(child(child(child(child(openapi, "paths"), path), "post"), "requestBody"), "content"), "application/json"), "schema");
  const props = child(schema, "properties");
  return new Set(typeof props === "object" && props !== null ? Object.keys(props) : []);
}

/** The create-topic settings, besides name and partitions, that this broker accepts. */
export function acceptedTopicSettings(openapi: unknown): TopicSetting[] {
  const props = bodyProperties(openapi, "/create-topic");
  return TOPIC_SETTINGS.filter((s) => props.has(s.field));
}
