import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import Ajv2019 from "ajv/dist/2019";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { StreamNestError } from "../lib/errors.ts";
import { assertSchemaLimits } from "./limits.ts";
import { useLinearFormats } from "./linear-formats.ts";
import { linearRegExp, linearRegExpOrNative } from "./linear-regexp.ts";
import { useLinearUniqueItems } from "./linear-unique-items.ts";
import { SCHEMA_LIMITS } from "../config/core.ts";

/**
 * Compiles per-topic JSON Schemas with ajv. The dialect follows the schema's `$schema`
 * (draft-07 when absent). An ajv instance per dialect serves every topic (renewed now
 * and then, see COMPILES_PER_INSTANCE):
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
  /** Why a stored message does not fit ("not JSON", "/id must be integer; …"), or undefined when it does. */
  problem(message: string): string | undefined;
}

type AnyAjv = Ajv | Ajv2019 | Ajv2020;
type Dialect = "draft-07" | "2019-09" | "2020-12";

/**
 * ajv keeps every schema it compiled for as long as the instance lives, so an instance
 * is replaced after this many compiles: registering schemas in a loop must not grow
 * the broker's memory. Validators compiled earlier keep working (each holds what it needs).
 */
const COMPILES_PER_INSTANCE = SCHEMA_LIMITS.compilesPerInstance.value;
const instances = new Map<string, { ajv: AnyAjv; compiles: number }>();

/**
 * `strictFormats`: an unknown `format` fails to compile, as by ajv's default, instead of
 * being ignored with a line in the broker's log (a client could fill the log, and a typo
 * like "emial" would silently check nothing); and a pattern RE2 cannot match in linear
 * time is refused (linear-regexp.ts). Only new registrations are strict; a schema already
 * stored keeps compiling as it did when it was accepted.
 */
function instance(dialect: Dialect, strictFormats: boolean): AnyAjv {
  const key = `${dialect}:${strictFormats}`;
  let entry = instances.get(key);
  if (!entry || entry.compiles >= COMPILES_PER_INSTANCE) {
    const options = {
      allErrors: true,
      strict: false,
      addUsedSchema: false,
      code: { regExp: strictFormats ? linearRegExp : linearRegExpOrNative },
      logger: {
        log: () => undefined,
        error: () => undefined,
        warn: (message: unknown) => {
          if (strictFormats && /^unknown format/.test(String(message)))
            throw new Error(`${String(message).replace(" ignored", "")}; known formats: ${formatNames()}`);
        },
      },
    };
    const ajv = dialect === "2020-12" ? new Ajv2020(options) : dialect === "2019-09" ? new Ajv2019(options) : new Ajv(options);
    addFormats(ajv);
    useLinearFormats(ajv.formats, (name, format) => ajv.addFormat(name, format));
    useLinearUniqueItems(ajv);
    entry = { ajv, compiles: 0 };
    instances.set(key, entry);
  }
  entry.compiles++;
  return entry.ajv;
}

let knownFormats: string | undefined;

function formatNames(): string {
  if (knownFormats === undefined) {
    const probe = new Ajv({ logger: false });
    addFormats(probe);
    knownFormats = Object.keys(probe.formats).join(", ");
  }
  return knownFormats;
}

/** The `format` a new draft-07 schema is checked with (for tests: linear-formats.ts swaps some). */
export function formatInUse(name: string): unknown {
  return instance("draft-07", true).formats[name];
}

/** Schemas every dialect instance has cached (for tests: it must stay bounded). */
export function cachedSchemaCount(): number {
  let count = 0;
  for (const { ajv } of instances.values()) count += (ajv as unknown as { _cache: Map<unknown, unknown> })._cache.size;
  return count;
}

function dialectOf(schema: Record<string, unknown>): Dialect {
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

/**
 * Checks a schema a client registers: an object, within the limits (limits.ts), that
 * compiles with every `format` known. Throws INVALID_SCHEMA saying why not.
 */
export function checkNewSchema(schema: unknown): void {
  assertSchemaObject(schema);
  assertSchemaLimits(schema);
  compileWith(schema, true);
}

/** A stored schema version's validator (compiled as leniently as when it was accepted). */
export function compileSchema(schema: unknown, version: number): CompiledSchema {
  assertSchemaObject(schema);
  const validate = compileWith(schema, false);
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
    problem(message: string): string | undefined {
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

/** Gives each compiled schema without an `$id` a base URI of its own (see compileWith). */
let anonymousSchemas = 0;
const ANONYMOUS_BASE = "https://schemas.streamnest.invalid/";
/** Our invented base, as ajv names it in messages (" from id …"), which the client never wrote. */
const ANONYMOUS_ID_IN_MESSAGE = / from id https:\/\/schemas\.streamnest\.invalid\/\d+\.json/g;

function compileWith(schema: Record<string, unknown>, strictFormats: boolean): ValidateFunction {
  // With `addUsedSchema: false` ajv resolves `"$ref": "#"` (a recursive schema, such as a
  // tree) only against a root that has an `$id`; a unique one, on a copy, keeps the
  // stored schema as the client sent it and two topics' schemas apart.
  // The base is a URL (not a URN) so that a relative `$id` inside the schema resolves.
  const rooted = schema.$id === undefined ? { ...schema, $id: `${ANONYMOUS_BASE}${++anonymousSchemas}.json` } : schema;
  try {
    return instance(dialectOf(schema), strictFormats).compile(rooted);
  } catch (error) {
    if (error instanceof StreamNestError) throw error;
    // A $ref that leads back to itself without a keyword in between recurses in ajv.
    if (error instanceof RangeError)
      throw new StreamNestError("INVALID_SCHEMA", "schema does not compile: a $ref leads back to itself (or it is nested too deeply)");
    const reason = (error as Error).message.replace(ANONYMOUS_ID_IN_MESSAGE, "");
    throw new StreamNestError("INVALID_SCHEMA", `schema does not compile: ${reason}`);
  }
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
