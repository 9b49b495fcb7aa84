import { describe, expect, test } from "bun:test";
import { createRequire } from "node:module";
import { StreamNestError } from "../../src/lib/errors.ts";
import { createScramCredential, type ScramCredential, type ScramMechanism } from "../../src/auth/scram-credential.ts";
import { type PlainAuthOptions, authenticatePlain, parsePlainMessage } from "../../src/auth/sasl-plain.ts";

const SECRET = Buffer.alloc(32, 3);
const alice256 = createScramCredential("SCRAM-SHA-256", "wonderland");
const bob512 = createScramCredential("SCRAM-SHA-512", "builder");
const table: Record<string, Partial<Record<ScramMechanism, ScramCredential>>> = {
  alice: { "SCRAM-SHA-256": alice256 },
  bob: { "SCRAM-SHA-512": bob512 },
};
const options: PlainAuthOptions = {
  credentialOf: (name, mechanism) => (Object.hasOwn(table, name) ? table[name][mechanism] : undefined),
  fakeCredentialSecret: SECRET,
};

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof StreamNestError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected a StreamNestError");
}

const FAILED = { code: "SASL_AUTHENTICATION_FAILED", message: "Authentication failed: Invalid username or password" };

describe("SASL/PLAIN", () => {
  test("parses authzid NUL authcid NUL passwd (RFC 4616), with or without authzid", () => {
    expect(parsePlainMessage("\u0000alice\u0000pw")).toEqual({ username: "alice", password: "pw" });
    expect(parsePlainMessage("alice\u0000alice\u0000p w é")).toEqual({ authzid: "alice", username: "alice", password: "p w é" });
    expect(parsePlainMessage(Buffer.from("\u0000bob\u0000x"))).toEqual({ username: "bob", password: "x" });
  });

  test("malformed messages are refused naming the problem", () => {
    const malformed = (reason: string) => ({ code: "SASL_AUTHENTICATION_FAILED", message: `malformed SASL/PLAIN message: ${reason}` });
    expect(refusal(() => parsePlainMessage("alice\u0000pw"))).toEqual(
      malformed("expected authzid NUL authcid NUL passwd, found 2 field(s)"),
    );
    expect(refusal(() => parsePlainMessage("\u0000a\u0000b\u0000c"))).toEqual(
      malformed("expected authzid NUL authcid NUL passwd, found 4 field(s)"),
    );
    expect(refusal(() => parsePlainMessage("\u0000\u0000pw"))).toEqual(malformed("the user name is empty"));
    expect(refusal(() => parsePlainMessage("\u0000alice\u0000"))).toEqual(malformed("the password is empty"));
    expect(refusal(() => parsePlainMessage(`\u0000alice\u0000${"x".repeat(256)}`))).toEqual(
      malformed("the password is longer than 255 bytes"),
    );
    expect(refusal(() => parsePlainMessage(Buffer.from([0, 0x61, 0, 0xc3])))).toEqual(malformed("not valid UTF-8"));
  });

  test("verifies against the stored SCRAM credential: SHA-256 or SHA-512, whichever the user has", () => {
    expect(authenticatePlain("\u0000alice\u0000wonderland", options)).toBe("User:alice");
    expect(authenticatePlain("bob\u0000bob\u0000builder", options)).toBe("User:bob");
  });

  test("wrong password and unknown user fail alike", () => {
    expect(refusal(() => authenticatePlain("\u0000alice\u0000wonderlan", options))).toEqual(FAILED);
    expect(refusal(() => authenticatePlain("\u0000bob\u0000wonderland", options))).toEqual(FAILED);
    expect(refusal(() => authenticatePlain("\u0000mallory\u0000wonderland", options))).toEqual(FAILED);
    expect(refusal(() => authenticatePlain("\u0000__proto__\u0000x", options))).toEqual(FAILED);
    expect(refusal(() => authenticatePlain("\u0000*\u0000x", options))).toEqual(FAILED);
  });

  test("acting as another user (authzid != authcid) is refused", () => {
    expect(refusal(() => authenticatePlain("bob\u0000alice\u0000wonderland", options))).toEqual({
      code: "SASL_AUTHENTICATION_FAILED",
      message: "Authentication failed: authorization id must be absent or equal to the user name",
    });
  });

  test("kafkajs's PLAIN request bytes authenticate", async () => {
    const request = createRequire(import.meta.url)("kafkajs/src/protocol/sasl/plain/request.js") as (sasl: {
      username: string;
      password: string;
    }) => { encode(): Promise<Buffer> };
    const bytes = (await request({ username: "alice", password: "wonderland" }).encode()).subarray(4);
    expect(authenticatePlain(bytes, options)).toBe("User:alice");
  });
});
