import { StreamNestError } from "./errors.ts";

// Kafka's rule (org.apache.kafka.common.internals.Topic#validate): 1..249 chars of
// [a-zA-Z0-9._-], and neither "." nor "..". This also keeps every name safe as a folder.
const LEGAL = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 249;

export function topicNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string") return "topic must be a string";
  if (name.length === 0) return "topic name is empty";
  if (name === "." || name === "..") return `topic name cannot be "${name}"`;
  if (name.length > MAX_TOPIC_NAME_LENGTH)
    return `topic name is ${name.length} characters; the limit is ${MAX_TOPIC_NAME_LENGTH}`;
  if (!LEGAL.test(name))
    return `topic name "${name}" may contain only ASCII letters, digits, '.', '_' and '-'`;
  return undefined;
}

export function assertTopicName(name: unknown): asserts name is string {
  const problem = topicNameProblem(name);
  if (problem) throw new StreamNestError("INVALID_TOPIC_NAME", problem);
}
