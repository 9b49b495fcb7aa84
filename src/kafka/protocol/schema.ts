/**
 * The vocabulary in which every Kafka API is declared once, as data: field names, types,
 * the versions each field exists in, which versions make it nullable, and which fields
 * are tagged (KIP-482). It mirrors the JSON message definitions Apache Kafka generates
 * its own protocol classes from, and codec.ts derives every version's encoder and
 * decoder from it.
 *
 * The TypeScript types of decoded messages are derived from the same declarations, so a
 * handler reads `req.body.topics[0].partitions` with its real type.
 */

/** An inclusive version range; `max` is Infinity for "N+". */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

/** Parses Kafka's version notation: "3+", "0-7", "5" or "none". */
export function versions(spec: string): VersionRange {
  if (spec === "none") return { min: 1, max: 0 };
  const plus = /^(\d+)\+$/.exec(spec);
  if (plus) return { min: Number(plus[1]), max: Infinity };
  const range = /^(\d+)-(\d+)$/.exec(spec);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  if (/^\d+$/.test(spec)) return { min: Number(spec), max: Number(spec) };
  throw new TypeError(`bad version range ${spec}`);
}

export function inRange(r: VersionRange, v: number): boolean {
  return v >= r.min && v <= r.max;
}

export type PrimitiveName =
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint16"
  | "uint32"
  | "float64"
  | "bool"
  | "uuid"
  | "string"
  | "bytes";

/** `T` is the phantom JavaScript type of a value of this Kafka type. */
export type KType<T> = PrimitiveType<T> | ArrayType<T> | StructType<T> | NullableType<T>;

export interface PrimitiveType<T> {
  readonly kind: "primitive";
  readonly name: PrimitiveName;
  readonly __value?: T;
}

export interface ArrayType<T> {
  readonly kind: "array";
  readonly element: KType<unknown>;
  readonly __value?: T;
}

export interface StructType<T> {
  readonly kind: "struct";
  readonly fields: readonly FieldDef[];
  readonly __value?: T;
}

export interface NullableType<T> {
  readonly kind: "nullable";
  readonly inner: KType<unknown>;
  /** The versions in which null can be sent; elsewhere null is an encoding error. */
  readonly versions: VersionRange;
  readonly __value?: T;
}

export interface FieldDef<N extends string = string, T = unknown> {
  readonly name: N;
  readonly type: KType<T>;
  /** Versions in which the field is on the wire (or, when tagged, may be). */
  readonly versions: VersionRange;
  /** Value when the field is absent from the version or a tagged field is not sent. */
  readonly default?: T;
  /** KIP-482 tag, for fields sent in the tagged-field section of flexible versions. */
  readonly tag?: number;
}

export type ValueOf<K> = K extends KType<infer T> ? T : never;

type FieldValue<F> = F extends FieldDef<string, infer T> ? T : never;

/** The decoded object of a struct with fields F. */
export type StructValue<F extends readonly FieldDef[]> = {
  [D in F[number] as D["name"]]: FieldValue<D>;
};

export const int8: PrimitiveType<number> = { kind: "primitive", name: "int8" };
export const int16: PrimitiveType<number> = { kind: "primitive", name: "int16" };
export const int32: PrimitiveType<number> = { kind: "primitive", name: "int32" };
export const int64: PrimitiveType<bigint> = { kind: "primitive", name: "int64" };
export const uint16: PrimitiveType<number> = { kind: "primitive", name: "uint16" };
export const uint32: PrimitiveType<number> = { kind: "primitive", name: "uint32" };
export const float64: PrimitiveType<number> = { kind: "primitive", name: "float64" };
export const bool: PrimitiveType<boolean> = { kind: "primitive", name: "bool" };
/** 16 bytes on the wire, the 8-4-4-4-12 hex form in JavaScript. */
export const uuid: PrimitiveType<string> = { kind: "primitive", name: "uuid" };
export const string: PrimitiveType<string> = { kind: "primitive", name: "string" };
export const bytes: PrimitiveType<Uint8Array> = { kind: "primitive", name: "bytes" };

export const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

export function array<T>(element: KType<T>): ArrayType<T[]> {
  return { kind: "array", element };
}

export function nullable<T>(inner: KType<T>, nullableVersions = "0+"): NullableType<T | null> {
  return { kind: "nullable", inner, versions: versions(nullableVersions) };
}

/** Kafka's "records" type: nullable bytes holding record batches (decoded separately). */
export const records: NullableType<Uint8Array | null> = nullable(bytes);

export function struct<const F extends readonly FieldDef[]>(...fields: F): StructType<StructValue<F>> {
  const seenTags = new Set<number>();
  for (const f of fields) {
    if (f.tag === undefined) continue;
    if (seenTags.has(f.tag)) throw new TypeError(`duplicate tag ${f.tag} on ${f.name}`);
    seenTags.add(f.tag);
  }
  return { kind: "struct", fields };
}

export interface FieldOptions<T> {
  default?: T;
  /** KIP-482 tag; the field is then only in the tagged section of flexible versions. */
  tag?: number;
}

/** One field: `field("leaderEpoch", int32, "7+", { default: -1 })`. */
export function field<const N extends string, T>(
  name: N,
  type: KType<T>,
  fieldVersions: string,
  options: FieldOptions<T> = {},
): FieldDef<N, T> {
  return { name, type, versions: versions(fieldVersions), default: options.default, tag: options.tag };
}

/**
 * Bytes an encoder may take in place of a Uint8Array for any bytes field: their length,
 * and a call that writes them straight into the message being encoded. A Fetch answer's
 * records (record batches built from stored frames) go this way, so a megabyte of them
 * is laid out once, in the response, not built apart and then copied in.
 */
export interface BytesWriter {
  readonly byteLength: number;
  /** Writes exactly byteLength bytes at `at` of `out`. */
  writeTo(out: Uint8Array, at: number): void;
}

/** Everything optional, recursively: what an encoder accepts (a missing field is its default). */
export type EncodeInput<T> = T extends Uint8Array
  ? T | BytesWriter
  : T extends string | number | bigint | boolean | null
  ? T
  : T extends readonly (infer E)[]
    ? EncodeInput<E>[]
    : { [K in keyof T]?: EncodeInput<T[K]> };
