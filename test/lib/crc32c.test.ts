import { describe, expect, test } from "bun:test";
import { crc32c, crc32cRange } from "../../src/lib/crc32c.ts";

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("crc32c", () => {
  test("the check value of CRC-32C: crc32c('123456789') = 0xE3069283", () => {
    expect(crc32c(ascii("123456789"))).toBe(0xe3069283);
  });

  test("empty input is 0", () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  // RFC 3720 (iSCSI) appendix B.4 test vectors.
  test("RFC 3720 B.4: 32 bytes of zeros", () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  });

  test("RFC 3720 B.4: 32 bytes of 0xFF", () => {
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
  });

  test("RFC 3720 B.4: 32 incrementing bytes", () => {
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
  });

  test("RFC 3720 B.4: 32 decrementing bytes", () => {
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  test("RFC 3720 B.4: an iSCSI read command PDU", () => {
    const pdu = Uint8Array.from([
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
      0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]);
    expect(crc32c(pdu)).toBe(0xd9963a56);
  });

  test("lengths that are not a multiple of 8 take the byte-wise tail", () => {
    // Inputs shorter than 8 bytes never enter the slicing-by-8 loop.
    expect(crc32c(ascii("a"))).toBe(0xc1d04330);
    expect(crc32c(ascii("abc"))).toBe(0x364b3fb7);
  });

  test("a running checksum over pieces equals the checksum of the whole", () => {
    const whole = ascii("The quick brown fox jumps over the lazy dog");
    for (let cut = 0; cut <= whole.length; cut++) {
      expect(crc32c(whole.subarray(cut), crc32c(whole.subarray(0, cut)))).toBe(crc32c(whole));
    }
    expect(crc32c(whole)).toBe(0x22620404);
  });

  test("one flipped bit changes the checksum", () => {
    const data = ascii("123456789");
    data[4] ^= 0x01;
    expect(crc32c(data)).not.toBe(0xe3069283);
  });
});

describe("crc32cRange", () => {
  test("equals crc32c of the same bytes for every range of an unaligned view", () => {
    const backing = Uint8Array.from({ length: 80 }, (_, i) => (i * 193 + 7) & 0xff);
    // A view starting at an odd byte, so word reads are unaligned.
    const bytes = backing.subarray(3, 70);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let start = 0; start <= bytes.length; start++) {
      for (let end = start; end <= bytes.length; end++) {
        expect(crc32cRange(view, start, end)).toBe(crc32c(bytes.subarray(start, end)));
      }
    }
    expect(crc32cRange(new DataView(ascii("123456789").buffer), 0, 9)).toBe(0xe3069283);
  });

  test("continues a running checksum", () => {
    const whole = ascii("The quick brown fox jumps over the lazy dog");
    const view = new DataView(whole.buffer);
    for (let cut = 0; cut <= whole.length; cut++) {
      expect(crc32cRange(view, cut, whole.length, crc32cRange(view, 0, cut))).toBe(0x22620404);
    }
  });
});

describe("crc32c over large inputs (whole 32-bit words)", () => {
  /** Bit by bit, straight from the polynomial: the reference every table must agree with. */
  function reference(data: Uint8Array, initial = 0): number {
    let crc = ~initial >>> 0;
    for (const byte of data) {
      crc ^= byte;
      for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    }
    return ~crc >>> 0;
  }

  test("agrees with the bit-by-bit CRC at every alignment and length around the word path's threshold, and chained", () => {
    const bytes = new Uint8Array(5000).map((_, i) => (i * 131 + (i >>> 5)) & 0xff);
    for (let start = 0; start < 8; start++)
      for (const length of [255, 256, 257, 259, 260, 263, 1000, 4093]) {
        const part = bytes.subarray(start, start + length);
        expect(crc32c(part)).toBe(reference(part));
        expect(crc32c(part, 0x12345678)).toBe(reference(part, 0x12345678));
      }
    expect(crc32c(bytes.subarray(1000), crc32c(bytes.subarray(0, 1000)))).toBe(reference(bytes));
  });

  test("a range of a DataView agrees at every offset of the view and the range, across buffers used in turn", () => {
    const buffers = [new ArrayBuffer(700), new ArrayBuffer(701)];
    for (const b of buffers) new Uint8Array(b).forEach((_, i, a) => (a[i] = (i * 37 + b.byteLength) & 0xff));
    for (let viewOffset = 0; viewOffset < 5; viewOffset++)
      for (const b of buffers) {
        const view = new DataView(b, viewOffset, b.byteLength - viewOffset);
        const bytes = new Uint8Array(b, viewOffset);
        for (let start = 0; start < 6; start++)
          for (const length of [47, 48, 49, 63, 64, 129, 130, 131, 600]) {
            const part = bytes.subarray(start, start + length);
            expect(crc32cRange(view, start, start + length)).toBe(reference(part));
            expect(crc32cRange(view, start, start + length, 7)).toBe(reference(part, 7));
          }
      }
  });
});
