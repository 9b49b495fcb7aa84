import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { isUnreachable, type StreamNestClient } from "../../client/index.ts";
import { StreamNestError } from "../../lib/errors.ts";
import { log } from "./output.ts";

/**
 * The consumer's check of stored messages against the topic's newest schema: messages
 * written before a schema was registered (or under an older one) may not fit it, and
 * the consumer skips those rather than hand them on (the seed's note). The broker's
 * schema module sits below the HTTP layer, so this side compiles the schema itself,
 * with ajv as the broker does.
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
  let validate: ValidateFunction;
  try {
    validate = compile(newest.schema);
  } catch (error) {
    // The broker accepted it, so the messages are checked there; a schema this side
    // cannot compile must not keep the topic from being read.
    log.warn(
      `cannot check messages against schema version ${newest.version} of ${topic} (${error instanceof Error ? error.message : String(error)}): printing every message`,
    );
    return undefined;
  }
  return {
    version: newest.version,
    problem(message) {
      let value: unknown;
      try {
        value = JSON.parse(message);
      } catch {
        return "not JSON";
      }
      if (validate(value)) return undefined;
      return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`).join("; ");
    },
  };
}

function compile(schema: Record<string, unknown> | boolean): ValidateFunction {
  const dialect = typeof schema === "object" && typeof schema.$schema === "string" ? schema.$schema : "";
  // The broker accepted this schema already: unknown keywords must not stop the reader.
  const options = { allErrors: true, strict: false };
  const ajv = dialect.includes("2020-12")
    ? new Ajv2020(options)
    : dialect.includes("2019-09")
      ? new Ajv2019(options)
      : new Ajv(options);
  addFormats(ajv);
  return ajv.compile(schema);
}
