import { afterEach, describe, expect, test } from "bun:test";
import { scramCredentialsForPassword } from "../../src/auth/scram-credential.ts";
import { UNAUTHENTICATED_MAX_FRAME_BYTES } from "../../src/kafka/connection.ts";
import { encodeBareSaslToken, encodeRequest, KAFKA_ERROR } from "../../src/kafka/protocol/index.ts";
import { RawClient, startInProcess } from "./support/in-process.ts";

/**
 * The SASL gate of the Kafka listener (KIP-43, KIP-152) byte by byte: what an unauthenticated
 * connection may ask, SaslHandshake v0 (bare tokens) and v1 (SaslAuthenticate), and every
 * refusal: its code, its one message, the log line, the connection closed after it.
 */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function secured() {
  running = await startInProcess({}, { tokenAuth: true });
  await running.broker.changeSecurity({ type: "add-user", name: "hana", credentials: scramCredentialsForPassword("hana-secret") });
  await running.broker.changeSecurity({
    type: "add-acl",
    binding: { principal: "User:hana", permission: "ALLOW", operation: "ALL", resourceType: "TOPIC", patternType: "LITERAL", resourceName: "*" },
  });
  await running.broker.createTopic("t", 1);
  return { running, client: await RawClient.connect(running.kafka.port) };
}

const plain = (user: string, password: string) => new TextEncoder().encode(`\u0000${user}\u0000${password}`);
const FAILED_PLAIN = "Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN";

describe("before authentication", () => {
  test("ApiVersions is answered and lists SaslHandshake and SaslAuthenticate; Metadata closes the connection", async () => {
    const { client, running } = await secured();
    const versions = await client.call("ApiVersions", 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
    expect(versions.apiKeys.filter((k) => k.apiKey === 17 || k.apiKey === 36)).toEqual([
      { apiKey: 17, minVersion: 0, maxVersion: 1 },
      { apiKey: 36, minVersion: 0, maxVersion: 2 },
    ]);
    client.write(encodeRequest("Metadata", 4, { correlationId: 9, clientId: "raw" }, { topics: null, allowAutoTopicCreation: false }));
    expect(await client.closedWithin(5000)).toBe(true);
    expect(running.lines).toContain("kafka: 127.0.0.1 sent Metadata before authenticating with SASL (this broker runs with --auth=token)");
  });

  test("a frame larger than a SASL token could be closes the connection unread", async () => {
    const { client } = await secured();
    const size = new Uint8Array(4);
    new DataView(size.buffer).setInt32(0, UNAUTHENTICATED_MAX_FRAME_BYTES + 1);
    client.write(size);
    expect(await client.closedWithin(5000)).toBe(true);
  });

  test("SaslAuthenticate before SaslHandshake is ILLEGAL_SASL_STATE, then the connection closes", async () => {
    const { client } = await secured();
    const answer = await client.call("SaslAuthenticate", 1, { authBytes: plain("hana", "hana-secret") });
    expect([answer.errorCode, answer.errorMessage]).toEqual([KAFKA_ERROR.ILLEGAL_SASL_STATE, "SaslAuthenticate before a SaslHandshake v1"]);
    expect(await client.closedWithin(5000)).toBe(true);
  });

  test("an unknown mechanism is UNSUPPORTED_SASL_MECHANISM with the enabled list, then the connection closes", async () => {
    const { client, running } = await secured();
    expect(await client.call("SaslHandshake", 1, { mechanism: "GSSAPI" })).toEqual({
      errorCode: KAFKA_ERROR.UNSUPPORTED_SASL_MECHANISM,
      mechanisms: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"],
    });
    expect(await client.closedWithin(5000)).toBe(true);
    expect(running.lines).toContain(
      'kafka: SASL handshake from 127.0.0.1 refused: SASL mechanism "GSSAPI" is not enabled; enabled: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512',
    );
  });
});

describe("SaslHandshake v1 + SaslAuthenticate", () => {
  test("the right password authenticates the connection for every API after it", async () => {
    const { client, running } = await secured();
    expect((await client.call("SaslHandshake", 1, { mechanism: "PLAIN" })).errorCode).toBe(KAFKA_ERROR.NONE);
    expect(await client.call("SaslAuthenticate", 2, { authBytes: plain("hana", "hana-secret") })).toEqual({
      errorCode: KAFKA_ERROR.NONE,
      errorMessage: null,
      authBytes: new Uint8Array(0),
      sessionLifetimeMs: 0n,
    });
    expect(running.lines).toContain('kafka: 127.0.0.1 authenticated as user "hana" with SASL/PLAIN');
    const meta = await client.call("Metadata", 4, { topics: null, allowAutoTopicCreation: false });
    expect(meta.topics.map((t) => [t.name, t.errorCode])).toEqual([["t", KAFKA_ERROR.NONE]]);
    // A second handshake once authenticated is ILLEGAL_SASL_STATE (no re-authentication, KIP-368).
    expect((await client.call("SaslHandshake", 1, { mechanism: "PLAIN" })).errorCode).toBe(KAFKA_ERROR.ILLEGAL_SASL_STATE);
  });

  for (const [what, user, password] of [
    ["a wrong password", "hana", "wrong"],
    ["an unknown user", "nobody", "hana-secret"],
  ] as const)
    test(`${what} is SASL_AUTHENTICATION_FAILED with the one message, logged, then the connection closes`, async () => {
      const { client, running } = await secured();
      await client.call("SaslHandshake", 1, { mechanism: "PLAIN" });
      const answer = await client.call("SaslAuthenticate", 0, { authBytes: plain(user, password) });
      expect([answer.errorCode, answer.errorMessage]).toEqual([KAFKA_ERROR.SASL_AUTHENTICATION_FAILED, FAILED_PLAIN]);
      expect(await client.closedWithin(5000)).toBe(true);
      expect(running.lines).toContain("kafka: failed SASL/PLAIN authentication from 127.0.0.1: Authentication failed: Invalid username or password");
    });
});

describe("SaslHandshake v0: bare tokens (KIP-43)", () => {
  test("the PLAIN token goes bare, an empty bare token comes back, and the connection is authenticated", async () => {
    const { client } = await secured();
    expect((await client.call("SaslHandshake", 0, { mechanism: "PLAIN" })).errorCode).toBe(KAFKA_ERROR.NONE);
    client.write(encodeBareSaslToken(plain("hana", "hana-secret")));
    expect(await client.frame()).toEqual(new Uint8Array(0));
    const meta = await client.call("Metadata", 4, { topics: null, allowAutoTopicCreation: false });
    expect(meta.topics.map((t) => t.name)).toEqual(["t"]);
  });

  test("a wrong bare token just closes the connection", async () => {
    const { client } = await secured();
    await client.call("SaslHandshake", 0, { mechanism: "PLAIN" });
    client.write(encodeBareSaslToken(plain("hana", "wrong")));
    expect(await client.closedWithin(5000)).toBe(true);
  });
});

describe("without --auth=token", () => {
  test("SaslHandshake is ILLEGAL_SASL_STATE (no SASL on this listener) and the connection stays usable", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    expect(await client.call("SaslHandshake", 1, { mechanism: "PLAIN" })).toEqual({ errorCode: KAFKA_ERROR.ILLEGAL_SASL_STATE, mechanisms: [] });
    await running.broker.createTopic("open", 1);
    const meta = await client.call("Metadata", 4, { topics: null, allowAutoTopicCreation: false });
    expect(meta.topics.map((t) => [t.name, t.errorCode])).toEqual([["open", KAFKA_ERROR.NONE]]);
    client.end();
  });
});
