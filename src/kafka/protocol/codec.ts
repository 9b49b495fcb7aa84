import { StreamNestError } from "../../lib/errors.ts";
import { protocolError } from "./error-codes.ts";
import { Reader } from "./reader.ts";
import {
  type BytesWriter,
  type EncodeInput,
  type FieldDef,
  inRange,
  type KType,
  type StructType,
  ZERO_UUID,
} from "./schema.ts";
import { utf8, Writer } from "./writer.ts";

/**
 * Encoders and decoders for every version of every declared struct, derived from the
 * declarations (schema.ts). One generic walk serves all versions: for a (struct, version)
 * pair the fields on the wire are worked out once and cached, and in flexible versions
 * strings, bytes and arrays take their compact forms and every struct ends with a tagged
 * field section (KIP-482).
 */

interface Plan {
  /** Every field in declaration order, with how it travels in this version. */
  readonly fields: readonly { def: FieldDef; mode: "wire" | "tagged" | "absent" }[];
  /** Tagged fields by tag, ascending (KIP-482 requires ascending tags on the wire). */
  readonly tagged: readonly FieldDef[];
  readonly byTag: ReadonlyMap<number, FieldDef>;
}

const plans = new WeakMap<StructType<unknown>, Map<number, Plan>>();

function planOf(s: StructType<unknown>, version: number, flexible: boolean): Plan {
  let perVersion = plans.get(s);
  if (!perVersion) plans.set(s, (perVersion = new Map()));
  // Flexibility is a property of the message version, so the key needs only the version;
  // the sign keeps a struct shared between a flexible and a non-flexible use apart.
  const key = flexible ? version : -1 - version;
  let plan = perVersion.get(key);
  if (plan) return plan;
  const fields = s.fields.map((def) => {
    const present = inRange(def.versions, version);
    if (!present) return { def, mode: "absent" as const };
    if (def.tag !== undefined) return { def, mode: flexible ? ("tagged" as const) : ("absent" as const) };
    return { def, mode: "wire" as const };
  });
  const tagged = fields
    .filter((f) => f.mode === "tagged")
    .map((f) => f.def)
    .sort((a, b) => (a.tag ?? 0) - (b.tag ?? 0));
  plan = { fields, tagged, byTag: new Map(tagged.map((d) => [d.tag ?? 0, d])) };
  perVersion.set(key, plan);
  return plan;
}

// ---------------------------------------------------------------- defaults

export function defaultOf(def: FieldDef): unknown {
  return def.default !== undefined ? def.default : typeDefault(def.type);
}

/**
 * The value written for a field the caller left out. A nullable field's null default is
 * replaced by its type's empty value in the versions where null cannot be sent (Metadata
 * v0's topic list, JoinGroup's protocol name before v7), as Kafka's generated code does.
 */
function encodeDefault(def: FieldDef, version: number): unknown {
  const d = defaultOf(def);
  if (d === null && def.type.kind === "nullable" && !inRange(def.type.versions, version)) return typeDefault(def.type.inner);
  return d;
}

function typeDefault(type: KType<unknown>): unknown {
  switch (type.kind) {
    case "nullable":
      return null;
    case "array":
      return [];
    case "struct": {
      const out: Record<string, unknown> = {};
      for (const f of type.fields) out[f.name] = defaultOf(f);
      return out;
    }
    case "primitive":
      switch (type.name) {
        case "int64":
          return 0n;
        case "bool":
          return false;
        case "uuid":
          return ZERO_UUID;
        case "string":
          return "";
        case "bytes":
          return new Uint8Array(0);
        default:
          return 0;
      }
  }
}

/** Whether a tagged field's value equals its default (then it is not sent). */
function isDefault(def: FieldDef, value: unknown): boolean {
  return sameValue(def.type, value, defaultOf(def));
}

function sameValue(type: KType<unknown>, a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined) return a === undefined;
  if (type.kind === "nullable") return sameValue(type.inner, a, b);
  if (type.kind === "array") {
    const x = a as unknown[];
    const y = b as unknown[];
    return x.length === y.length && x.every((e, i) => sameValue(type.element, e, y[i]));
  }
  if (type.kind === "struct") {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    return type.fields.every((f) => sameValue(f.type, x[f.name] ?? y[f.name], y[f.name]));
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((v, i) => v === b[i]);
  }
  return false;
}

// ---------------------------------------------------------------- encoding

export function encodeStruct<T>(
  w: Writer,
  s: StructType<T>,
  value: EncodeInput<T>,
  version: number,
  flexible: boolean,
): void {
  const obj = (value ?? {}) as Record<string, unknown>;
  const plan = planOf(s as StructType<unknown>, version, flexible);
  for (const { def, mode } of plan.fields) {
    if (mode !== "wire") continue;
    const v = obj[def.name];
    try {
      encodeValue(w, def.type, v === undefined ? encodeDefault(def, version) : v, version, flexible);
    } catch (e) {
      throw withPath(e, def.name);
    }
  }
  if (!flexible) return;
  const sent = plan.tagged.filter((def) => !isDefault(def, obj[def.name]));
  w.uvarint(sent.length);
  for (const def of sent) {
    const inner = new Writer(64);
    try {
      encodeValue(inner, def.type, obj[def.name], version, true);
    } catch (e) {
      throw withPath(e, def.name);
    }
    const bytes = inner.finish();
    w.uvarint(def.tag ?? 0).uvarint(bytes.length).bytes(bytes);
  }
}

function encodeValue(w: Writer, type: KType<unknown>, v: unknown, version: number, flexible: boolean): void {
  switch (type.kind) {
    case "nullable":
      if (v !== null && v !== undefined) return encodeValue(w, type.inner, v, version, flexible);
      if (!inRange(type.versions, version)) {
        throw protocolError("INVALID_REQUEST", "INVALID_REQUEST", `null is not allowed in version ${version}`);
      }
      return encodeNull(w, type.inner, flexible);
    case "array": {
      if (!Array.isArray(v)) throw badValue("an array", v);
      const items = v as readonly unknown[];
      if (flexible) w.uvarint(items.length + 1);
      else w.int32(items.length);
      for (const item of items) encodeValue(w, type.element, item, version, flexible);
      return;
    }
    case "struct":
      return encodeStruct(w, type, v as EncodeInput<unknown>, version, flexible);
    case "primitive":
      switch (type.name) {
        case "int8":
          w.int8(integer(v, -0x80, 0x7f));
          return;
        case "int16":
          w.int16(integer(v, -0x8000, 0x7fff));
          return;
        case "int32":
          w.int32(integer(v, -0x80000000, 0x7fffffff));
          return;
        case "uint16":
          w.uint16(integer(v, 0, 0xffff));
          return;
        case "uint32":
          w.uint32(integer(v, 0, 0xffffffff));
          return;
        case "int64":
          if (typeof v === "bigint") w.int64(v);
          else w.int64(BigInt(integer(v, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)));
          return;
        case "float64":
          w.float64(v as number);
          return;
        case "bool":
          w.bool(v as boolean);
          return;
        case "uuid":
          w.uuid(v as string);
          return;
        case "string": {
          if (typeof v !== "string") throw badValue("a string", v);
          const bytes = utf8(v);
          if (flexible) w.uvarint(bytes.length + 1);
          else if (bytes.length > 0x7fff) {
            throw protocolError("INVALID_REQUEST", "INVALID_REQUEST", `string of ${bytes.length} bytes exceeds int16`);
          } else w.int16(bytes.length);
          w.bytes(bytes);
          return;
        }
        case "bytes": {
          if (v instanceof Uint8Array) {
            if (flexible) w.uvarint(v.length + 1);
            else w.int32(v.length);
            w.bytes(v);
            return;
          }
          if (!isBytesWriter(v)) throw badValue("bytes (a Uint8Array or a BytesWriter)", v);
          if (flexible) w.uvarint(v.byteLength + 1);
          else w.int32(v.byteLength);
          w.written(v);
          return;
        }
      }
  }
}

function isBytesWriter(v: unknown): v is BytesWriter {
  return typeof v === "object" && v !== null && typeof (v as BytesWriter).writeTo === "function" && Number.isInteger((v as BytesWriter).byteLength);
}

/**
 * A handler's value of the wrong type or range is refused with its field path rather
 * than wrapped silently by a DataView (70000 as an int16 would go out as 4464).
 */
function integer(v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw badValue(`an integer in [${min}, ${max}]`, v);
  }
  return v;
}

function badValue(expected: string, v: unknown): Error {
  const shown = typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? "a Uint8Array" : JSON.stringify(v);
  return protocolError("INVALID_REQUEST", "INVALID_REQUEST", `expected ${expected}, got ${shown}`);
}

function encodeNull(w: Writer, inner: KType<unknown>, flexible: boolean): void {
  if (flexible) {
    w.uvarint(0);
    return;
  }
  if (inner.kind === "primitive" && inner.name === "string") w.int16(-1);
  else if (inner.kind === "array" || (inner.kind === "primitive" && inner.name === "bytes")) w.int32(-1);
  else throw new TypeError(`type ${inner.kind} cannot be null`);
}

// ---------------------------------------------------------------- decoding

export function decodeStruct<T>(r: Reader, s: StructType<T>, version: number, flexible: boolean): T {
  const plan = planOf(s as StructType<unknown>, version, flexible);
  const out: Record<string, unknown> = {};
  for (const { def, mode } of plan.fields) {
    if (mode !== "wire") {
      out[def.name] = defaultOf(def);
      continue;
    }
    try {
      out[def.name] = decodeValue(r, def.type, version, flexible, false);
    } catch (e) {
      throw withPath(e, def.name);
    }
  }
  if (flexible) decodeTaggedFields(r, plan, out, version);
  return out as T;
}

/** KIP-482 tagged section: count, then (tag, size, bytes) with ascending tags; unknown tags skipped. */
function decodeTaggedFields(r: Reader, plan: Plan, out: Record<string, unknown>, version: number): void {
  const count = r.arrayCount(r.uvarint(), "tagged fields");
  let last = -1;
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    if (tag <= last) {
      throw protocolError("INVALID_REQUEST", "CORRUPT_MESSAGE", `tagged field ${tag} after ${last}: tags must ascend`);
    }
    last = tag;
    const size = r.uvarint();
    const sub = r.subReader(size, `tagged field ${tag}`);
    const def = plan.byTag.get(tag);
    if (!def) continue;
    try {
      out[def.name] = decodeValue(sub, def.type, version, true, false);
    } catch (e) {
      throw withPath(e, def.name);
    }
  }
}

function decodeValue(r: Reader, type: KType<unknown>, version: number, flexible: boolean, nullOk: boolean): unknown {
  switch (type.kind) {
    case "nullable":
      return decodeValue(r, type.inner, version, flexible, inRange(type.versions, version));
    case "array": {
      const n = flexible ? r.compactLength(nullOk, "array") : r.int32Length(nullOk, "array");
      if (n === -1) return null;
      r.arrayCount(n, "array");
      const items: unknown[] = [];
      for (let i = 0; i < n; i++) items.push(decodeValue(r, type.element, version, flexible, false));
      return items;
    }
    case "struct":
      return decodeStruct(r, type, version, flexible);
    case "primitive":
      switch (type.name) {
        case "int8":
          return r.int8();
        case "int16":
          return r.int16();
        case "int32":
          return r.int32();
        case "uint16":
          return r.uint16();
        case "uint32":
          return r.uint32();
        case "int64":
          return r.int64();
        case "float64":
          return r.float64();
        case "bool":
          return r.bool();
        case "uuid":
          return r.uuid();
        case "string": {
          const n = flexible ? r.compactLength(nullOk, "string") : r.stringLength(nullOk, "string");
          return n === -1 ? null : r.utf8(n);
        }
        case "bytes": {
          const n = flexible ? r.compactLength(nullOk, "bytes") : r.int32Length(nullOk, "bytes");
          return n === -1 ? null : r.bytes(n);
        }
      }
  }
}

/** Prefixes the field path to a codec error so "topics > partitions > records: truncated…" says where. */
function withPath(e: unknown, name: string): unknown {
  if (!(e instanceof StreamNestError)) return e;
  return new StreamNestError(e.code, `${name} > ${e.message}`, e.details);
}
