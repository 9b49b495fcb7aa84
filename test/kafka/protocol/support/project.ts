import { defaultOf } from "../../../../src/kafka/protocol/codec.ts";
import { inRange, type KType, type StructType } from "../../../../src/kafka/protocol/schema.ts";

/**
 * What a decoder must return for `value` at `version`: the fields on the wire in that
 * version keep their values, the others take their declared defaults. The layouts in the
 * API tests check the declarations byte by byte; this only reads them to know which
 * fields a version drops.
 */
export function project(type: KType<unknown>, value: unknown, version: number, flexible: boolean): unknown {
  switch (type.kind) {
    case "nullable":
      return value === null ? null : project(type.inner, value, version, flexible);
    case "array":
      return (value as unknown[]).map((v) => project(type.element, v, version, flexible));
    case "struct":
      return projectStruct(type, value as Record<string, unknown>, version, flexible);
    case "primitive":
      return type.name === "int64" && typeof value === "number" ? BigInt(value) : value;
  }
}

function projectStruct(
  s: StructType<unknown>,
  value: Record<string, unknown>,
  version: number,
  flexible: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of s.fields) {
    const onWire = inRange(f.versions, version) && (f.tag === undefined || flexible);
    const v = value[f.name];
    out[f.name] = onWire && v !== undefined ? project(f.type, v, version, flexible) : defaultOf(f);
  }
  return out;
}
