import { isUnreachable, type StreamNestClient } from "../../client/index.ts";
import { StreamNestError } from "../../lib/errors.ts";
import { type CompiledSchema, compileSchema } from "../../node/schemas.ts";
import { log } from "./output.ts";

/**
 * The consumer's check of stored messages against the topic's newest schema: messages
 * written before a schema was registered (or under an older one) may not fit it, and
 * the consumer skips those rather than hand them on (the seed's note). The schema is
 * compiled by the broker's own compiler (src/schema/), as leniently as the broker
 * compiles a stored version.
 */
export interface SchemaCheck {
  version: number;
  /** undefined when the message fits; else why it does not. */
  problem(message: string): string | undefined;
}

export async function loadSchemaCheck(client: StreamNestClient, topic: string): Promise<SchemaCheck | undefined> {
  let versions;
  try {
    versions = (await client.schemas(topic)).versions;
  } catch (error) {
    if (isUnreachable(error)) throw error;
    // No schema for this topic (or a broker without the route): nothing to check.
    if (error instanceof StreamNestError && error.status === 404) return undefined;
    throw error;
  }
  const newest = versions.at(-1);
  if (!newest) return undefined;
  let compiled: CompiledSchema;
  try {
    compiled = compileSchema(newest.schema, newest.version);
  } catch (error) {
    // The broker accepted it, so the messages are checked there; a schema this side
    // cannot compile must not keep the topic from being read.
    log.warn(
      `cannot check messages against schema version ${newest.version} of ${topic} (${error instanceof Error ? error.message : String(error)}): printing every message`,
    );
    return undefined;
  }
  return { version: newest.version, problem: (message) => compiled.problem(message) };
}
