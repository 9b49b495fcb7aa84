/**
 * An independent spelling of Kafka's wire primitives (protocol guide, "Protocol Primitive
 * Types"), written without the codec under test, so that fixtures built from it check
 * the codec rather than repeat it. Every helper returns plain bytes.
 */
export type Bytes = Uint8Array;

function fixed(n: number, set: (v: DataView) => void): Bytes {
  const b = new Uint8Array(n);
  set(new DataView(b.buffer));
  return b;
}

export const i8 = (v: number): Bytes => fixed(1, (d) => d.setInt8(0, v));
export const bool = (v: boolean): Bytes => i8(v ? 1 : 0);
export const i16 = (v: number): Bytes => fixed(2, (d) => d.setInt16(0, v));
export const i32 = (v: number): Bytes => fixed(4, (d) => d.setInt32(0, v));
export const u32 = (v: number): Bytes => fixed(4, (d) => d.setUint32(0, v));
export const i64 = (v: bigint): Bytes => fixed(8, (d) => d.setBigInt64(0, v));
export const f64 = (v: number): Bytes => fixed(8, (d) => d.setFloat64(0, v));

export function uuid(s: string): Bytes {
  const hex = s.replaceAll("-", "");
  return Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

/** Unsigned varint (LEB128). */
export function uv(v: number): Bytes {
  const out: number[] = [];
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.push(b);
  } while (v > 0);
  return Uint8Array.from(out);
}

export function cat(...parts: (Bytes | Bytes[])[]): Bytes {
  const flat = parts.flat();
  const out = new Uint8Array(flat.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of flat) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const text = (s: string): Bytes => new TextEncoder().encode(s);

/** The two dialects of a message: classic (int16/int32 lengths) and flexible (KIP-482). */
export interface Dialect {
  str(s: string): Bytes;
  nstr(s: string | null): Bytes;
  bytes(b: Bytes): Bytes;
  nbytes(b: Bytes | null): Bytes;
  arr<T>(items: readonly T[], each: (t: T) => Bytes): Bytes;
  narr<T>(items: readonly T[] | null, each: (t: T) => Bytes): Bytes;
  /** A struct's tagged-field section; empty outside flexible versions. */
  tags(...fields: [tag: number, payload: Bytes][]): Bytes;
}

export function dialect(flexible: boolean): Dialect {
  if (!flexible) {
    return {
      str: (s) => cat(i16(text(s).length), text(s)),
      nstr: (s) => (s === null ? i16(-1) : cat(i16(text(s).length), text(s))),
      bytes: (b) => cat(i32(b.length), b),
      nbytes: (b) => (b === null ? i32(-1) : cat(i32(b.length), b)),
      arr: (items, each) => cat(i32(items.length), items.map(each)),
      narr: (items, each) => (items === null ? i32(-1) : cat(i32(items.length), items.map(each))),
      tags: () => new Uint8Array(0),
    };
  }
  return {
    str: (s) => cat(uv(text(s).length + 1), text(s)),
    nstr: (s) => (s === null ? uv(0) : cat(uv(text(s).length + 1), text(s))),
    bytes: (b) => cat(uv(b.length + 1), b),
    nbytes: (b) => (b === null ? uv(0) : cat(uv(b.length + 1), b)),
    arr: (items, each) => cat(uv(items.length + 1), items.map(each)),
    narr: (items, each) => (items === null ? uv(0) : cat(uv(items.length + 1), items.map(each))),
    tags: (...fields) => cat(uv(fields.length), fields.map(([tag, payload]) => cat(uv(tag), uv(payload.length), payload))),
  };
}

export function hex(b: Bytes): string {
  return Buffer.from(b).toString("hex");
}

export function fromHex(s: string): Bytes {
  return new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));
}
