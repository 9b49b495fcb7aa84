import { describe, expect, test } from "bun:test";
import { createSaslSession } from "../../src/auth/sasl-session.ts";
import { ConnectionAuth } from "../../src/kafka/connection-auth.ts";

const options = { credentialOf: () => undefined, fakeCredentialSecret: new Uint8Array(32) };

describe("ConnectionAuth", () => {
  test("without SASL a connection is ANONYMOUS from the start", () => {
    const auth = new ConnectionAuth(false);
    expect([auth.authenticated, auth.principal, auth.expectsBareToken]).toEqual([true, "User:ANONYMOUS", false]);
  });

  test("with SASL it has no principal until the exchange succeeds; bare tokens follow a v0 handshake only", () => {
    const auth = new ConnectionAuth(true);
    expect([auth.authenticated, auth.principal, auth.expectsBareToken]).toEqual([false, undefined, false]);
    auth.exchange = { session: createSaslSession("PLAIN", options), handshakeVersion: 1 };
    expect(auth.expectsBareToken).toBe(false);
    auth.exchange = { session: createSaslSession("PLAIN", options), handshakeVersion: 0 };
    expect(auth.expectsBareToken).toBe(true);
    auth.succeeded("User:kim");
    expect([auth.authenticated, auth.principal, auth.expectsBareToken, auth.exchange]).toEqual([true, "User:kim", false, undefined]);
  });

  test("a verified client certificate is the principal from the start; a SASL exchange may still replace it, once", () => {
    const auth = new ConnectionAuth(true, "User:alice");
    expect([auth.authenticated, auth.principal, auth.saslDone, auth.expectsBareToken]).toEqual([true, "User:alice", false, false]);
    auth.exchange = { session: createSaslSession("PLAIN", options), handshakeVersion: 0 };
    expect(auth.expectsBareToken).toBe(true);
    auth.succeeded("User:bob");
    expect([auth.authenticated, auth.principal, auth.saslDone, auth.expectsBareToken]).toEqual([true, "User:bob", true, false]);
  });

  test("without --auth=token the certificate changes nothing: everyone is ANONYMOUS and allowed all", () => {
    expect(new ConnectionAuth(false, "User:alice").principal).toBe("User:ANONYMOUS");
  });

  test("a SASL session with a lifetime expires that long after it succeeded, and a re-authentication starts a new one", () => {
    const auth = new ConnectionAuth(true);
    auth.succeeded("User:kim", 1000, 500);
    expect([auth.expired(1499), auth.expired(1500)]).toEqual([false, true]);
    auth.succeeded("User:kim", 1400, 500);
    expect([auth.expired(1500), auth.expired(1899), auth.expired(1900)]).toEqual([false, false, true]);
    auth.succeeded("User:kim", 2000, 0);
    expect(auth.expired(Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(new ConnectionAuth(true, "User:alice").expired(Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});
