import { describe, expect, test } from "bun:test";
import { StreamNestError } from "../../../src/lib/errors.ts";
import { decodeStruct, defaultOf, encodeStruct } from "../../../src/kafka/protocol/codec.ts";
import { Reader } from "../../../src/kafka/protocol/reader.ts";
import { array, type BytesWriter, bytes, field, int32, int64, nullable, string, struct } from "../../../src/kafka/protocol/schema.ts";
import { Writer } from "../../../src/kafka/protocol/writer.ts";
import { cat, dialect, hex, i16, i32, i64, uv } from "./support/wire.ts";

// A made-up message exercising what the real declarations use: version ranges, nullable
// versions, nested arrays and KIP-482 tagged fields.
const Sample = struct(
  field("id", int32, "0+"),
  field("name", nullable(string, "2+"), "0+"),
  field("added", int64, "1+", { default: -1n }),
  field("items", array(struct(field("n", int32, "0+"), field("label", string, "3+"))), "0+"),
  field("note", nullable(string), "3+", { tag: 0 }),
  field("extra", int32, "3+", { tag: 5, default: -1 }),
);

function encode(value: Parameters<typeof encodeStruct<unknown>>[2], version: number, flexible: boolean): Uint8Array {
  const w = new Writer();
  encodeStruct(w, Sample, value as never, version, flexible);
  return w.finish();
}

describe("derived codec", () => {
  test("fields outside a version are neither written nor read, and decode to their defaults", () => {
    const bytes = encode({ id: 1, name: "a", added: 9n, items: [{ n: 2, label: "x" }] }, 0, false);
    expect(hex(bytes)).toBe(hex(cat(i32(1), i16(1), new TextEncoder().encode("a"), i32(1), i32(2))));
    expect(decodeStruct(new Reader(bytes), Sample, 0, false)).toEqual({
      id: 1,
      name: "a",
      added: -1n,
      items: [{ n: 2, label: "" }],
      note: null,
      extra: -1,
    });
  });

  test("missing input fields are encoded as their defaults", () => {
    const bytes = encode({ id: 1, name: "a" }, 1, false);
    expect(hex(bytes)).toBe(hex(cat(i32(1), i16(1), new TextEncoder().encode("a"), i64(-1n), i32(0))));
  });

  test("null is written only in the versions that allow it", () => {
    expect(hex(encode({ id: 1, name: null }, 2, false))).toBe(hex(cat(i32(1), i16(-1), i64(-1n), i32(0))));
    expect(() => encode({ id: 1, name: null }, 1, false)).toThrow("name > null is not allowed in version 1");
  });

  test("tagged fields are sent only when they differ from their defaults, in ascending tag order", () => {
    const d = dialect(true);
    const bytes = encode({ id: 1, name: "a", added: 2n, items: [], note: "n", extra: 7 }, 3, true);
    expect(hex(bytes)).toBe(
      hex(cat(i32(1), d.nstr("a"), i64(2n), d.arr([], () => new Uint8Array(0)), d.tags([0, d.nstr("n")], [5, i32(7)]))),
    );
    const none = encode({ id: 1, name: "a", added: 2n, items: [], note: null, extra: -1 }, 3, true);
    expect(hex(none)).toBe(hex(cat(i32(1), d.nstr("a"), i64(2n), uv(1), uv(0))));
  });

  test("unknown tags are skipped and known ones read (KIP-482)", () => {
    const d = dialect(true);
    const bytes = cat(i32(1), d.nstr("a"), i64(2n), uv(1), d.tags([0, d.nstr("n")], [3, i64(123n)], [5, i32(7)]));
    expect(decodeStruct(new Reader(bytes), Sample, 3, true)).toEqual({
      id: 1,
      name: "a",
      added: 2n,
      items: [],
      note: "n",
      extra: 7,
    });
  });

  test("tags out of order are refused", () => {
    const d = dialect(true);
    const bytes = cat(i32(1), d.nstr("a"), i64(2n), uv(1), d.tags([5, i32(7)], [0, d.nstr("n")]));
    expect(() => decodeStruct(new Reader(bytes), Sample, 3, true)).toThrow("tagged field 0 after 5: tags must ascend");
  });

  test("a tagged field whose size overruns the message is refused", () => {
    const bytes = cat(i32(1), uv(2), new TextEncoder().encode("a"), i64(2n), uv(1), uv(1), uv(5), uv(9), i32(1));
    expect(() => decodeStruct(new Reader(bytes), Sample, 3, true)).toThrow(StreamNestError);
  });

  test("errors name the field path", () => {
    const bytes = cat(i32(1), i16(1), new TextEncoder().encode("a"), i64(2n), i32(1), i32(5), i16(40));
    expect(() => decodeStruct(new Reader(bytes), Sample, 3, false)).toThrow(
      "items > label > truncated input: string needs 40 bytes at offset 25, 0 left",
    );
  });

  test("defaults of nested structs are fresh objects", () => {
    const f = field("s", struct(field("a", int32, "0+", { default: 4 })), "0+");
    const a = defaultOf(f) as { a: number };
    const b = defaultOf(f) as { a: number };
    expect(a).toEqual({ a: 4 });
    expect(a).not.toBe(b);
  });
});

describe("encoding refuses values of the wrong type or range", () => {
  const S = struct(
    field("small", int32, "0+"),
    field("list", array(int32), "0+"),
    field("text", string, "0+"),
  );
  const enc = (v: Record<string, unknown>) => encodeStruct(new Writer(), S, v as never, 0, false);

  test("an int32 out of range or not an integer", () => {
    expect(() => enc({ small: 2 ** 31 })).toThrow("small > expected an integer in [-2147483648, 2147483647], got 2147483648");
    expect(() => enc({ small: 1.5 })).toThrow("small > expected an integer in [-2147483648, 2147483647], got 1.5");
    expect(() => enc({ small: 1n })).toThrow("small > expected an integer in [-2147483648, 2147483647], got 1n");
  });

  test("a non-array for an array and a non-string for a string", () => {
    expect(() => enc({ list: null })).toThrow("list > expected an array, got null");
    expect(() => enc({ text: 5 })).toThrow("text > expected a string, got 5");
  });
});

describe("left-out nullable fields", () => {
  test("are written as null where null is allowed and as the empty value where it is not", () => {
    const S = struct(field("topics", nullable(array(int32), "1+"), "0+"));
    const at = (v: number) => {
      const w = new Writer();
      encodeStruct(w, S, {}, v, false);
      return hex(w.finish());
    };
    expect(at(0)).toBe("00000000");
    expect(at(1)).toBe("ffffffff");
  });
});

describe("bytes laid out by a BytesWriter", () => {
  const B = struct(field("before", int32, "0+"), field("data", nullable(bytes), "0+"), field("after", int32, "0+"));
  const payload = new Uint8Array(3000).map((_, i) => i % 251);
  /** Writes `payload` in place, as a Fetch answer's planned record batch does. */
  const writer: BytesWriter = {
    byteLength: payload.length,
    writeTo(out, at) {
      out.set(payload, at);
    },
  };
  const enc = (data: unknown, flexible: boolean) => {
    const w = new Writer(16);
    encodeStruct(w, B, { before: 7, data, after: 9 } as never, 0, flexible);
    return w.finish();
  };

  test("encode as the same bytes given as a Uint8Array would, in both forms of length", () => {
    for (const flexible of [false, true]) expect(hex(enc(writer, flexible))).toBe(hex(enc(payload, flexible)));
    expect(hex(enc(writer, false))).toBe(hex(cat(i32(7), i32(3000), payload, i32(9))));
    expect(hex(enc(writer, true))).toBe(hex(cat(i32(7), uv(3001), payload, i32(9), uv(0))));
  });

  test("anything else is refused with the field's path", () => {
    expect(() => enc({ byteLength: 2 }, false)).toThrow("data > expected bytes (a Uint8Array or a BytesWriter)");
    expect(() => enc("text", false)).toThrow("data > expected bytes (a Uint8Array or a BytesWriter)");
  });
});
