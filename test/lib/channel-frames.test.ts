import { describe, expect, test } from "bun:test";
import { decodeAnswer, decodeCall, encodeAnswer, encodeCall, FrameError } from "../../src/lib/channel-frames.ts";

/** The replication channel's frames (lib/channel-frames.ts), byte for byte. */

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

describe("a call frame", () => {
  test("is type 1, the id, the authorization's length and text, then the body", () => {
    const frame = encodeCall({ id: 0x01020304, authorization: "Sig a=b", body: new Uint8Array([0xde, 0xad]) });
    expect(hex(frame)).toBe(`01${"01020304"}${"0007"}${Buffer.from("Sig a=b").toString("hex")}dead`);
    const call = decodeCall(frame);
    expect({ id: call.id, authorization: call.authorization, body: [...call.body] }).toEqual({ id: 0x01020304, authorization: "Sig a=b", body: [0xde, 0xad] });
  });

  test("carries an empty authorization and an empty body, and the largest id", () => {
    const call = decodeCall(encodeCall({ id: 0xffff_ffff, authorization: "", body: new Uint8Array(0) }));
    expect({ id: call.id, authorization: call.authorization, body: call.body.length }).toEqual({ id: 0xffff_ffff, authorization: "", body: 0 });
  });

  test("refuses what it cannot carry: an id outside 32 bits, a text that is not ASCII or too long", () => {
    const body = new Uint8Array(0);
    expect(() => encodeCall({ id: -1, authorization: "", body })).toThrow(new FrameError("call id -1 is not a 32-bit unsigned integer"));
    expect(() => encodeCall({ id: 2 ** 32, authorization: "", body })).toThrow(FrameError);
    expect(() => encodeCall({ id: 1.5, authorization: "", body })).toThrow(FrameError);
    expect(() => encodeCall({ id: 1, authorization: "é", body })).toThrow(new FrameError("the authorization is not ASCII"));
    expect(() => encodeCall({ id: 1, authorization: "x".repeat(65_536), body })).toThrow(new FrameError("the authorization is longer than 65535 characters"));
  });

  test("decoding refuses a frame of another type, one cut short, one whose authorization runs past its end", () => {
    expect(() => decodeCall(new Uint8Array([2, 0, 0, 0, 1, 0, 0]))).toThrow(new FrameError("not a call frame"));
    expect(() => decodeCall(new Uint8Array([1, 0, 0, 0, 1, 0]))).toThrow(new FrameError("not a call frame"));
    expect(() => decodeCall(new Uint8Array([1, 0, 0, 0, 1, 0, 5, 65, 65]))).toThrow(new FrameError("the call frame ends inside its authorization"));
  });
});

describe("an answer frame", () => {
  test("is type 2, the id, the status, the body kind, the signature, then the parts back to back", () => {
    const frame = encodeAnswer({ id: 7, status: 200, json: false, signature: "abc" }, [new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])]);
    expect(hex(frame)).toBe(`02${"00000007"}${"00c8"}00${"0003"}616263${"010203"}`);
    const answer = decodeAnswer(frame);
    expect({ ...answer, body: [...answer.body] }).toEqual({ id: 7, status: 200, json: false, signature: "abc", body: [1, 2, 3] });
  });

  test("a JSON refusal without a signature (a 401) round-trips", () => {
    const text = JSON.stringify({ error: "UNAUTHORIZED", message: "no" });
    const answer = decodeAnswer(encodeAnswer({ id: 9, status: 401, json: true, signature: "" }, [new TextEncoder().encode(text)]));
    expect({ ...answer, body: new TextDecoder().decode(answer.body) }).toEqual({ id: 9, status: 401, json: true, signature: "", body: text });
  });

  test("is written into the buffer the caller gives, of exactly its size", () => {
    const scratch = new Uint8Array(64).fill(0xee);
    const frame = encodeAnswer({ id: 1, status: 200, json: false, signature: "s" }, [new Uint8Array([5])], (size) => scratch.subarray(0, size));
    expect(frame.buffer).toBe(scratch.buffer);
    expect(hex(frame)).toBe("0200000001" + "00c8" + "00" + "0001" + "73" + "05");
    expect(scratch[frame.length]).toBe(0xee);
    expect(() => encodeAnswer({ id: 1, status: 200, json: false, signature: "" }, [], () => new Uint8Array(3))).toThrow(
      new FrameError("a buffer of 3 bytes was given for a frame of 10"),
    );
  });

  test("refuses a status that is not HTTP's, a bad body kind, and a signature past the end", () => {
    expect(() => encodeAnswer({ id: 1, status: 99, json: false, signature: "" }, [])).toThrow(new FrameError("status 99 is not an HTTP status"));
    expect(() => encodeAnswer({ id: 1, status: 600, json: false, signature: "" }, [])).toThrow(FrameError);
    const good = encodeAnswer({ id: 1, status: 200, json: false, signature: "sig" }, []);
    const badKind = good.slice();
    badKind[7] = 2;
    expect(() => decodeAnswer(badKind)).toThrow(new FrameError("body kind 2 is neither binary (0) nor JSON (1)"));
    const badStatus = good.slice();
    badStatus[5] = 0;
    badStatus[6] = 42;
    expect(() => decodeAnswer(badStatus)).toThrow(new FrameError("status 42 is not an HTTP status"));
    expect(() => decodeAnswer(good.subarray(0, good.length - 1))).toThrow(new FrameError("the answer frame ends inside its signature"));
    expect(() => decodeAnswer(encodeCall({ id: 1, authorization: "", body: new Uint8Array(8) }))).toThrow(new FrameError("not an answer frame"));
  });
});
