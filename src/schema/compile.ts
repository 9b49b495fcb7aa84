import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import Ajv2019 from "ajv/dist/2019";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { StreamNestError } from "../lib/errors.ts";

/**
 * Compiles per-topic JSON Schemas with ajv. The dialect follows the schema's `$schema`
 * (draft-07 when absent). One ajv instance per dialect serves every topic:
 * `addUsedSchema: false` keeps two topics (or two versions) that share an `$id` from
 * colliding, and no loader is configured, so a `$ref` to a remote URL fails to compile
 * instead of making the broker fetch anything.
 */

export interface SchemaViolation {
  /** JSON Pointer into the message; "" is the message itself. */
  path: string;
  message: string;
  keyword: string;
  params: Record<string, unknown>;
}

export interface CompiledSchema {
  readonly version: number;
  /** Throws SCHEMA_VIOLATION listing every violation (or saying the message is not JSON). */
  check(message: string, topic: string): void;
}

const OPTIONS = { allErrors: true, strict: false, addUsedSchema: false } as const;

type AnyAjv = Ajv | Ajv2019 | Ajv2020;
const instances = new Map<string, AnyAjv>();

function instance(dialect: "draft-07" | "2019-09" | "2020-12"): AnyAjv {
  let ajv = instances.get(dialect);
  if (!ajv) {
    ajv = dialect === "2020-12" ? new Ajv2020(OPTIONS) : dialect === "2019-09" ? new Ajv2019(OPTIONS) : new Ajv(OPTIONS);
    addFormats(ajv);
    instances.set(dialect, ajv);
  }
  return ajv;
}

function dialectOf(schema: Record<string, unknown>): "draft-07" | "2019-09" | "2020-12" {
  const declared = schema.$schema;
  if (declared === undefined) return "draft-07";
  if (typeof declared !== "string") throw new StreamNestError("INVALID_SCHEMA", "$schema must be a string");
  if (declared.includes("2020-12")) return "2020-12";
  if (declared.includes("2019-09")) return "2019-09";
  if (declared.includes("draft-07")) return "draft-07";
  throw new StreamNestError(
    "INVALID_SCHEMA",
    `unsupported $schema "${declared}"; supported: draft-07 (the default), 2019-09 and 2020-12`,
  );
}

/** Throws INVALID_SCHEMA unless `schema` is a JSON object that ajv compiles. */
export function assertSchemaObject(schema: unknown): asserts schema is Record<string, unknown> {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema))
    throw new StreamNestError(
      "INVALID_SCHEMA",
      `schema must be a JSON object, not ${schema === null ? "null" : Array.isArray(schema) ? "an array" : typeof schema}`,
    );
}

export function compileSchema(schema: unknown, version: number): CompiledSchema {
  assertSchemaObject(schema);
  let validate: ValidateFunction;
  try {
    validate = instance(dialectOf(schema)).compile(schema);
  } catch (error) {
    if (error instanceof StreamNestError) throw error;
    throw new StreamNestError("INVALID_SCHEMA", `schema does not compile: ${(error as Error).message}`);
  }
  return {
    version,
    check(message: string, topic: string): void {
      let value: unknown;
      try {
        value = JSON.parse(message);
      } catch (error) {
        throw new StreamNestError(
          "SCHEMA_VIOLATION",
          `topic "${topic}" has a schema, and the message is not valid JSON: ${(error as Error).message}`,
          { schema_version: version, violations: [] },
        );
      }
      if (validate(value)) return;
      const violations = (validate.errors ?? []).map(toViolation);
      throw new StreamNestError(
        "SCHEMA_VIOLATION",
        `message does not match schema version ${version} of topic "${topic}": ${violations.map(describeViolation).join("; ")}`,
        { schema_version: version, violations },
      );
    },
  };
}

function toViolation(error: ErrorObject): SchemaViolation {
  return {
    path: error.instancePath,
    message: error.message ?? error.keyword,
    keyword: error.keyword,
    params: error.params as Record<string, unknown>,
  };
}

function describeViolation(v: SchemaViolation): string {
  const where = v.path === "" ? "message" : v.path;
  if (v.keyword === "additionalProperties") return `${where} must not have additional property "${String(v.params.additionalProperty)}"`;
  return `${where} ${v.message}`;
}
