import { describe, expect, test } from "bun:test";
import { parsedProduce, plainProduce } from "../../../src/http/workers/fast-requests.ts";
import { scanProduce } from "../../../src/http/workers/produce-scan.ts";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b));

/** An answer with its byte fields as text, to compare two answers whole. */
function shown(ask: ReturnType<typeof plainProduce>): unknown {
  return ask === undefined ? undefined : { ...ask, key: text(ask.key), value: text(ask.value) };
}

describe("scanProduce", () => {
  test("reads the plain form: every field, in any order", () => {
    const scanned = scanProduce(bytes('{"acks":-1,"key":"k1","partition":12,"message":"hello world","topic":"orders.v2"}'));
    expect(scanned === null ? null : shown(scanned)).toEqual({ topic: "orders.v2", partition: 12, key: "k1", value: "hello world", acks: "all" });
    expect(shown(scanProduce(bytes('{"topic":"t","message":""}'))!)).toEqual({ topic: "t", partition: -1, key: null, value: "" });
    expect(shown(scanProduce(bytes('{"topic":"t","message":"m","key":"","acks":"1"}'))!)).toEqual({ topic: "t", partition: -1, key: "", value: "m", acks: "1" });
    expect(scanProduce(bytes('{"topic":"t","message":"m","acks":1}'))?.acks).toBe("1");
    expect(scanProduce(bytes('{"topic":"t","message":"m","acks":"all"}'))?.acks).toBe("all");
  });

  test("leaves every other form to JSON.parse (null)", () => {
    for (const body of [
      '{ "topic":"t","message":"m"}', // whitespace
      '{"topic":"t","message":"a\\"b"}', // an escape
      '{"topic":"t","message":"é"}', // above 0x7F
      '{"topic":"t","message":"a\tb"}', // a control byte
      '{"topic":"t","topic":"u","message":"m"}', // a field twice
      '{"topic":"t","message":"m","partition":01}',
      '{"topic":"t","message":"m","partition":1.0}',
      '{"topic":"t","message":"m","partition":-1}',
      '{"topic":"t","message":"m","partition":1234567890123456}', // 16 digits
      '{"topic":"t","message":"m","acks":0}',
      '{"topic":"t","message":"m","acks":1.0}',
      '{"topic":"t","message":"m","acks":-10}',
      '{"topic":"t","message":"m","key":null}',
      '{"topic":"t","message":null}',
      '{"topic":"t","message":"m","headers":{}}',
      '{"topic":"t"}',
      '{"message":"m"}',
      '{"topic":"t","message":"m",}',
      '{"topic":"t","message":"m"}x}',
      '\ufeff{"topic":"t","message":"m"}',
      `{"topic":"${"a".repeat(250)}","message":"m"}`,
      "{}",
      "[]",
      "",
    ])
      expect({ body, scanned: scanProduce(bytes(body)) }).toEqual({ body, scanned: null });
  });

  test("a message is a view of the body's own bytes, not a copy", () => {
    const body = bytes('{"topic":"t","message":"abc"}');
    const scanned = scanProduce(body)!;
    expect(scanned.value.buffer).toBe(body.buffer);
    expect([scanned.value.byteOffset, scanned.value.byteLength]).toEqual([24, 3]);
  });
});

/**
 * The scan's answer must be JSON.parse's wherever it gives one: random bodies, of the plain
 * form and of every way out of it, each answered by plainProduce (the scan first) and by
 * the JSON path alone. A seeded generator, so a failure names a body that fails again.
 */
describe("plainProduce agrees with the JSON path", () => {
  const names = ["topic", "message", "key", "partition", "acks", "headers", "Topic", "messages", "__proto__", ""];
  const strings = ["t", "bench", "orders.v2", "a-b_c", "", "x".repeat(300), "__consumer_offsets", ".", "..", "a b", "é", "a\\\"b", "a\\u0041", "\\n", "😀", "a\tb"];
  const numbers = ["0", "1", "12", "01", "-1", "-0", "1.0", "1e2", "2", "9007199254740993", "123456789012345", "1234567890123456"];
  const others = ["null", "true", "[]", "{}", '"all"', '"1"', '"0"', '"ALL"'];

  function random(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  test("on 20,000 random bodies", () => {
    const rand = random(2026);
    const pick = <T,>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
    let scanned = 0;
    for (let i = 0; i < 20_000; i++) {
      const fields: string[] = [];
      if (rand() < 0.5) {
        // A plain body's fields, each once, in a random order, with values of each kind.
        fields.push(`"topic":"${pick(strings.slice(0, 6))}"`, `"message":"${pick(strings)}"`);
        if (rand() < 0.5) fields.push(`"key":"${pick(strings)}"`);
        if (rand() < 0.5) fields.push(`"partition":${pick(numbers)}`);
        if (rand() < 0.5) fields.push(`"acks":${pick(['"all"', '"1"', "-1", "1", '"0"', "0"])}`);
        fields.sort(() => rand() - 0.5);
      }
      // Otherwise mostly the fields a produce has, sometimes others; sometimes one twice.
      const count = fields.length > 0 ? 0 : 1 + Math.floor(rand() * 5);
      for (let f = 0; f < count; f++) {
        const name = rand() < 0.85 ? pick(names.slice(0, 5)) : pick(names);
        const kind = rand();
        const value = kind < 0.6 ? `"${pick(strings)}"` : kind < 0.85 ? pick(numbers) : pick(others);
        fields.push(`"${name}":${value}`);
      }
      if (count > 0 && rand() < 0.7) fields.unshift(`"topic":"${pick(strings.slice(0, 6))}"`, `"message":"${pick(strings)}"`);
      let body = `{${fields.join(",")}}`;
      const bend = rand();
      if (bend < 0.05) body = body.replace(",", ", ");
      else if (bend < 0.08) body = `${body} `;
      else if (bend < 0.1) body = body.slice(0, -1);
      const b = bytes(body);
      if (scanProduce(b) !== null) scanned++;
      expect({ body, ask: shown(plainProduce(b)) }).toEqual({ body, ask: shown(parsedProduce(b)) });
    }
    // The scan must have been tried on bodies it reads, not only on ones it leaves.
    expect(scanned).toBeGreaterThan(2_000);
  });
});
