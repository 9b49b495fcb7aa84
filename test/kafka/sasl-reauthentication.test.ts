import { afterEach, describe, expect, test } from "bun:test";
import { scramCredentialsForPassword } from "../../src/auth/scram-credential.ts";
import { encodeRecordBatch, KAFKA_ERROR } from "../../src/kafka/protocol/index.ts";
import { RawClient, startInProcess } from "./support/in-process.ts";

/**
 * KIP-368 re-authentication with --kafka-reauth-ms: the last SaslAuthenticate answer names
 * the session's lifetime; a client re-authenticates on its connection (SaslHandshake v1 +
 * SaslAuthenticate) as the same principal before the session ends, or its next request
 * past the end closes the connection. So a deleted user or a changed password stops
 * working on open connections within one lifetime. Waits are lower bounds on the
 * broker's clock (the session can only have ended later than the client saw it begin).
 */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const plain = (user: string, password: string) => new TextEncoder().encode(`\u0000${user}\u0000${password}`);

async function broker(reauthMs: number) {
  running = await startInProcess({ reauthMs }, { tokenAuth: true });
  for (const [name, password] of [["ivy", "ivy-secret"], ["max", "max-secret"]])
    await running.broker.changeSecurity({ type: "add-user", name, credentials: scramCredentialsForPassword(password) });
  await running.broker.changeSecurity({
    type: "add-acl",
    binding: { principal: "User:ivy", permission: "ALLOW", operation: "WRITE", resourceType: "TOPIC", patternType: "LITERAL", resourceName: "w" },
  });
  await running.broker.createTopic("w", 1);
  return running;
}

async function authenticate(client: RawClient, user: string, password: string) {
  const handshake = await client.call("SaslHandshake", 1, { mechanism: "PLAIN" });
  expect(handshake.errorCode).toBe(KAFKA_ERROR.NONE);
  return client.call("SaslAuthenticate", 2, { authBytes: plain(user, password) });
}

const batch = () => encodeRecordBatch({ records: [{ value: new TextEncoder().encode("x"), timestamp: 1n }] });
const produce = async (client: RawClient) =>
  (await client.call("Produce", 7, { acks: -1, timeoutMs: 1000, topicData: [{ name: "w", partitionData: [{ index: 0, records: batch() }] }] }))
    .responses[0].partitionResponses[0].errorCode;

/** Sleeps until `ms` after `from` (Date.now() when the client saw the session begin). */
const until = async (from: number, ms: number) => Bun.sleep(Math.max(0, from + ms - Date.now()));

describe("SASL sessions with a lifetime (--kafka-reauth-ms)", () => {
  test("the lifetime is told to the client, and a connection that does not re-authenticate is closed at its next request past it", async () => {
    const { kafka, lines } = await broker(3000);
    const client = await RawClient.connect(kafka.port);
    const began = Date.now();
    const auth = await authenticate(client, "ivy", "ivy-secret");
    expect([auth.errorCode, auth.sessionLifetimeMs]).toEqual([KAFKA_ERROR.NONE, 3000n]);
    expect(await produce(client)).toBe(KAFKA_ERROR.NONE);
    await until(began, 3100);
    await expect(produce(client)).rejects.toThrow("the connection closed");
    expect(lines.some((l) => l.includes("SASL session of User:ivy ended 3000 ms after it began without a re-authentication"))).toBe(true);
    expect(running?.broker.describeTopic("w").partitions[0].endOffset).toBe(1);
  });

  test("re-authenticating as the same user before the end carries the connection past it", async () => {
    const { kafka, lines } = await broker(6000);
    const client = await RawClient.connect(kafka.port);
    const began = Date.now();
    expect((await authenticate(client, "ivy", "ivy-secret")).errorCode).toBe(KAFKA_ERROR.NONE);
    await until(began, 3000);
    const again = await authenticate(client, "ivy", "ivy-secret");
    expect([again.errorCode, again.sessionLifetimeMs]).toEqual([KAFKA_ERROR.NONE, 6000n]);
    // Past the first session's end, within the second's (which began at least 3000 ms after the first).
    await until(began, 6500);
    expect(await produce(client)).toBe(KAFKA_ERROR.NONE);
    expect(lines.some((l) => l.includes('re-authenticated as user "ivy" with SASL/PLAIN'))).toBe(true);
  }, 20_000);

  test("re-authenticating as another user, or as a user deleted since, fails and closes the connection", async () => {
    const { kafka, broker: core } = await broker(60_000);
    const other = await RawClient.connect(kafka.port);
    expect((await authenticate(other, "ivy", "ivy-secret")).errorCode).toBe(KAFKA_ERROR.NONE);
    expect((await authenticate(other, "max", "max-secret")).errorCode).toBe(KAFKA_ERROR.SASL_AUTHENTICATION_FAILED);
    expect(await other.closedWithin(10_000)).toBe(true);

    const deleted = await RawClient.connect(kafka.port);
    expect((await authenticate(deleted, "ivy", "ivy-secret")).errorCode).toBe(KAFKA_ERROR.NONE);
    await core.changeSecurity({ type: "remove-user", name: "ivy" });
    expect((await authenticate(deleted, "ivy", "ivy-secret")).errorCode).toBe(KAFKA_ERROR.SASL_AUTHENTICATION_FAILED);
    expect(await deleted.closedWithin(10_000)).toBe(true);
  });

  test("without a lifetime a session never ends, says so (0), and a second handshake is ILLEGAL_SASL_STATE", async () => {
    const { kafka } = await broker(0);
    const client = await RawClient.connect(kafka.port);
    expect((await authenticate(client, "ivy", "ivy-secret")).sessionLifetimeMs).toBe(0n);
    const second = await client.call("SaslHandshake", 1, { mechanism: "PLAIN" });
    expect(second.errorCode).toBe(KAFKA_ERROR.ILLEGAL_SASL_STATE);
    expect(await client.closedWithin(10_000)).toBe(true);
  });
});
