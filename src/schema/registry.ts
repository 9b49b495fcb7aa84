import { compileSchema, type CompiledSchema } from "./compile.ts";
import { withoutAsync } from "./limits.ts";

/** A schema version as the metadata stores it. */
export interface StoredSchema {
  version: number;
  schema: Record<string, unknown>;
}

/**
 * Compiled validators for the schemas held in metadata. The metadata is the truth;
 * this is a cache keyed by the stored version object itself, so a topic deleted and
 * created again under the same name never sees its predecessor's validator.
 */
export class SchemaRegistry {
  private readonly compiled = new WeakMap<StoredSchema, CompiledSchema>();

  /** The validator for the newest version, or undefined when the topic has none. */
  latest(versions: readonly StoredSchema[]): CompiledSchema | undefined {
    const newest = versions.at(-1);
    if (!newest) return undefined;
    let compiled = this.compiled.get(newest);
    if (!compiled) {
      compiled = compileSchema(withoutAsync(newest.schema), newest.version);
      this.compiled.set(newest, compiled);
    }
    return compiled;
  }
}

export { assertSchemaObject, checkNewSchema, compileSchema, type CompiledSchema, type SchemaViolation } from "./compile.ts";
