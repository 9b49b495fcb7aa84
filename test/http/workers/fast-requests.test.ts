import { describe, expect, test } from "bun:test";
import { mayBeBatch, plainConsume, plainProduce } from "../../../src/http/workers/fast-requests.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

describe("plainConsume", () => {
  test("topic, partition and offset, each once, in any order", () => {
    expect(plainConsume("?topic=demo&partition=0&offset=17")).toEqual({ topic: "demo", partition: 0, offset: 17 });
    expect(plainConsume("?offset=0&topic=a.b_c-9&partition=12")).toEqual({ topic: "a.b_c-9", partition: 12, offset: 0 });
    expect(plainConsume("?topic=t&partition=0&offset=999999999999999")).toEqual({ topic: "t", partition: 0, offset: 999999999999999 });
  });

  test("anything not plain is left to the owner's route (which answers it, errors included)", () => {
    for (const search of [
      "?topic=demo&partition=0",
      "?topic=demo&partition=0&offset=1&max=2",
      "?topic=demo&partition=0&offset=1&wait_ms=100",
      "?topic=demo&partition=0&offset=1&offset=2",
      "?topic=demo&topic=x&partition=0&offset=1",
      "?topic=demo&partition=0&offset=01",
      "?topic=demo&partition=-1&offset=1",
      "?topic=demo&partition=0&offset=1e3",
      "?topic=demo&partition=0&offset=0x10",
      "?topic=demo&partition=0&offset=1234567890123456",
      "?topic=de%6Do&partition=0&offset=1",
      "?topic=&partition=0&offset=1",
      "?topic=..&partition=0&offset=1",
      "?topic=demo&partition=0&offset",
      "?topic=demo&partition=0&offset=1&",
      "?topic=demo&&partition=0&offset=1",
      "?topic=demo&partitio=0&offset=1",
      "?topic=demo&partition=0&offset=1&x=",
      "?topic=demo&partition=0&offset=1=2",
      "?topic=demo&partition=0&offset=",
      "?topic=demo&partition= 1&offset=1",
      "?",
    ])
      expect(plainConsume(search)).toBeUndefined();
  });
});

describe("plainProduce", () => {
  test("one message with its key and partition, encoded as the route encodes it", () => {
    expect(plainProduce(utf8('{"topic":"demo","message":"héllo","key":"k","partition":2}'))).toEqual({
      topic: "demo",
      partition: 2,
      key: utf8("k"),
      value: utf8("héllo"),
    });
    expect(plainProduce(utf8('{"message":"","topic":"t"}'))).toEqual({ topic: "t", partition: -1, key: null, value: new Uint8Array(0) });
  });

  test("acks all or 1, as a string or as Kafka's number, rides along; acks=0 (answered 202) does not", () => {
    const ask = (acks: string) => plainProduce(utf8(`{"topic":"demo","message":"m","acks":${acks}}`));
    const plain = { topic: "demo", partition: -1, key: null, value: utf8("m") };
    expect(ask('"all"')).toEqual({ ...plain, acks: "all" });
    expect(ask("-1")).toEqual({ ...plain, acks: "all" });
    expect(ask('"1"')).toEqual({ ...plain, acks: "1" });
    expect(ask("1")).toEqual({ ...plain, acks: "1" });
    expect(plainProduce(utf8('{"topic":"demo","message":"m"}'))).toEqual(plain);
    expect("acks" in (plainProduce(utf8('{"topic":"demo","message":"m"}')) as object)).toBe(false);
  });

  test("anything not plain is left to the owner's route", () => {
    for (const body of [
      '{"topic":"demo","message":"m","acks":"0"}',
      '{"topic":"demo","message":"m","acks":0}',
      '{"topic":"demo","message":"m","acks":"2"}',
      '{"topic":"demo","message":"m","acks":"ALL"}',
      '{"topic":"demo","message":"m","acks":null}',
      '{"topic":"demo","messages":[{"message":"m"}]}',
      '{"topic":"demo","message":"m","headers":{"a":"b"}}',
      '{"topic":"demo","message":"m","key":null}',
      '{"topic":"demo","message":"m","partition":-1}',
      '{"topic":"demo","message":"m","partition":1.5}',
      '{"topic":"demo","message":"m","partition":"1"}',
      '{"topic":"demo","message":3}',
      '{"topic":"demo"}',
      '{"topic":"__consumer_offsets","message":"m"}',
      '{"topic":"bad topic","message":"m"}',
      '{"topic":"demo","message":"\\ud800"}',
      '["demo"]',
      "null",
      "not json",
      "",
    ])
      expect(plainProduce(utf8(body))).toBeUndefined();
    expect(plainProduce(new Uint8Array([0x7b, 0xff, 0x7d]))).toBeUndefined();
  });
});

describe("mayBeBatch", () => {
  test("a large body naming messages is a batch, left unparsed; a small body is parsed whatever it holds", () => {
    const big = JSON.stringify({ topic: "demo", messages: Array.from({ length: 50 }, () => ({ message: "x".repeat(20) })) });
    expect(mayBeBatch(utf8(big))).toBe(true);
    expect(mayBeBatch(utf8(JSON.stringify({ topic: "demo", message: "x".repeat(2000) })))).toBe(false);
    expect(mayBeBatch(utf8('{"topic":"demo","messages":[{"message":"m"}]}'))).toBe(false);
  });
});
