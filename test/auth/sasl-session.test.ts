import { describe, expect, test } from "bun:test";
import { createRequire } from "node:module";
import { StreamNestError } from "../../src/lib/errors.ts";
import { createSaslSession, type SaslSessionOptions } from "../../src/auth/sasl-session.ts";
import { createScramCredential, type ScramCredential } from "../../src/auth/scram-credential.ts";

const creds = new Map<string, ScramCredential>([
  ["SCRAM-SHA-256", createScramCredential("SCRAM-SHA-256", "wonderland")],
  ["SCRAM-SHA-512", createScramCredential("SCRAM-SHA-512", "wonderland")],
]);
const options: SaslSessionOptions = {
  credentialOf: (name, mechanism) => (name === "alice" ? creds.get(mechanism) : undefined),
  fakeCredentialSecret: Buffer.alloc(32, 1),
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

type KafkajsScram = new (
  sasl: { username: string; password: string },
  host: string,
  port: number,
  logger: { debug(): void; error(): void },
  saslAuthenticate: (io: { request: { encode(): Promise<Buffer> }; response: { parse(b: Buffer): Promise<unknown> } }) => Promise<unknown>,
  digest: unknown,
) => { authenticate(): Promise<void> };
const require = createRequire(import.meta.url);
const { SCRAM, DIGESTS } = require("kafkajs/src/broker/saslAuthenticator/scram.js") as {
  SCRAM: KafkajsScram;
  DIGESTS: { SHA256: unknown; SHA512: unknown };
};

describe("SASL session", () => {
  test("PLAIN completes in one step with an empty response; a second step is out of state", () => {
    const session = createSaslSession("PLAIN", options);
    expect(session.principal).toBeUndefined();
    const step = session.step(Buffer.from("\u0000alice\u0000wonderland"));
    expect(step).toEqual({ response: new Uint8Array(0), principal: "User:alice" });
    expect(session.principal).toBe("User:alice");
    expect(refusal(() => session.step(Buffer.from("\u0000alice\u0000wonderland")))).toEqual({
      code: "ILLEGAL_SASL_STATE",
      message: "SASL/PLAIN takes one message; the exchange is over",
    });
  });

  for (const [mechanism, digest] of [["SCRAM-SHA-256", DIGESTS.SHA256], ["SCRAM-SHA-512", DIGESTS.SHA512]] as const)
    test(`${mechanism} completes in two steps with kafkajs's client; a third is out of state`, async () => {
      const session = createSaslSession(mechanism, options);
      const steps: (string | undefined)[] = [];
      await new SCRAM(
        { username: "alice", password: "wonderland" },
        "127.0.0.1",
        9092,
        { debug() {}, error() {} },
        async ({ request, response }) => {
          const step = session.step((await request.encode()).subarray(4));
          steps.push(step.principal);
          return response.parse(Buffer.from(step.response));
        },
        digest,
      ).authenticate();
      expect(steps).toEqual([undefined, "User:alice"]);
      expect(session.principal).toBe("User:alice");
      expect(refusal(() => session.step(Buffer.from("c=biws"))).code).toBe("ILLEGAL_SASL_STATE");
    });

  test("wrong password fails the SCRAM session at the second step", async () => {
    const session = createSaslSession("SCRAM-SHA-512", options);
    const attempt = new SCRAM(
      { username: "alice", password: "wrong" },
      "127.0.0.1",
      9092,
      { debug() {}, error() {} },
      async ({ request, response }) => response.parse(Buffer.from(session.step((await request.encode()).subarray(4)).response)),
      DIGESTS.SHA512,
    ).authenticate();
    await expect(attempt).rejects.toThrow("Authentication failed: invalid credentials with SASL mechanism SCRAM-SHA-512");
    expect(session.principal).toBeUndefined();
  });

  test("a mechanism not enabled is refused, listing those that are", () => {
    expect(refusal(() => createSaslSession("GSSAPI", options))).toEqual({
      code: "UNSUPPORTED_SASL_MECHANISM",
      message: 'SASL mechanism "GSSAPI" is not enabled; enabled: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512',
    });
    expect(refusal(() => createSaslSession("PLAIN", { ...options, enabledMechanisms: ["SCRAM-SHA-512"] }))).toEqual({
      code: "UNSUPPORTED_SASL_MECHANISM",
      message: 'SASL mechanism "PLAIN" is not enabled; enabled: SCRAM-SHA-512',
    });
  });
});
