import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { StreamNestError } from "../lib/errors.ts";
import { type Principal, userNameProblem } from "./principal.ts";
import {
  DEFAULT_SCRAM_ITERATIONS,
  type ScramCredential,
  type ScramMechanism,
  hash,
  hashSpec,
  hmac,
  isScramMechanism,
} from "./scram-credential.ts";
import { decodeScramMessage, parseClientFinal, parseClientFirst, scramFailure } from "./scram-messages.ts";

/** How a SASL handler finds a user's stored credential; no transport, no state type. */
export type ScramCredentialLookup = (username: string, mechanism: ScramMechanism) => ScramCredential | undefined;

export interface ScramServerOptions {
  readonly mechanism: ScramMechanism;
  readonly credentialOf: ScramCredentialLookup;
  /**
   * A server-side secret (≥ 32 bytes) from which unknown users get a stable fake salt, so the
   * exchange for a name that does not exist looks like one for a wrong password (RFC 5802 §9).
   */
  readonly fakeCredentialSecret: Uint8Array;
  /** Iterations announced for unknown users: set it to what real users have. */
  readonly fakeIterations?: number;
  /** Tests only (RFC 7677's vector fixes it): the server's half of the nonce. */
  readonly serverNonce?: () => string;
}

export type ScramServerState = "awaiting-client-first" | "awaiting-client-final" | "succeeded" | "failed";

export interface ScramSuccess {
  readonly serverFinal: string;
  readonly principal: Principal;
}

interface Exchange {
  readonly username: string;
  readonly gs2Header: string;
  readonly nonce: string;
  readonly authMessagePrefix: string;
  readonly credential: { storedKey: Buffer; serverKey: Buffer };
  readonly known: boolean;
}

/**
 * One SCRAM authentication (RFC 5802 §5; Kafka: KIP-84): client-first -> server-first,
 * client-final -> server-final. A failure of any kind ends the exchange; a message out of
 * turn is ILLEGAL_SASL_STATE. Unknown users and wrong passwords fail identically: same work
 * (a fake credential is derived in both cases), same message, at the same step.
 */
export class ScramServer {
  #state: ScramServerState = "awaiting-client-first";
  #exchange: Exchange | undefined;
  #principal: Principal | undefined;
  readonly #options: ScramServerOptions;

  constructor(options: ScramServerOptions) {
    if (!isScramMechanism(options.mechanism))
      throw new StreamNestError("UNSUPPORTED_SASL_MECHANISM", `SASL mechanism "${String(options.mechanism)}" is not supported`);
    if (options.fakeCredentialSecret.length < 32)
      throw new StreamNestError("INVALID_REQUEST", "the SCRAM fake-credential secret must be at least 32 bytes");
    this.#options = options;
  }

  get state(): ScramServerState {
    return this.#state;
  }

  get mechanism(): ScramMechanism {
    return this.#options.mechanism;
  }

  /** The authenticated principal once the exchange succeeded. */
  get principal(): Principal | undefined {
    return this.#principal;
  }

  clientFirst(message: string | Uint8Array): string {
    this.#expect("awaiting-client-first", "client-first");
    return this.#guard(() => {
      const first = parseClientFirst(decodeScramMessage(message, "SCRAM client-first message"));
      // Kafka (ScramSaslServer) refuses an authorization id other than the user itself.
      if (first.authzid !== undefined && first.authzid !== first.username)
        throw scramFailure("other-error", "SCRAM authorization id must be absent or equal to the user name");
      const { mechanism } = this.#options;
      const fake = this.#fakeCredential(first.username);
      const real = userNameProblem(first.username) === undefined ? this.#options.credentialOf(first.username, mechanism) : undefined;
      const used = real && real.mechanism === mechanism ? real : undefined;
      const salt = used ? used.salt : fake.salt;
      const iterations = used ? used.iterations : fake.iterations;
      const nonce = first.clientNonce + (this.#options.serverNonce?.() ?? randomBytes(24).toString("base64"));
      const serverFirst = `r=${nonce},s=${salt},i=${iterations}`;
      this.#exchange = {
        username: first.username,
        gs2Header: first.gs2Header,
        nonce,
        authMessagePrefix: `${first.bare},${serverFirst},`,
        credential: used
          ? { storedKey: Buffer.from(used.storedKey, "base64"), serverKey: Buffer.from(used.serverKey, "base64") }
          : { storedKey: fake.storedKey, serverKey: fake.serverKey },
        known: used !== undefined,
      };
      this.#state = "awaiting-client-final";
      return serverFirst;
    });
  }

  clientFinal(message: string | Uint8Array): ScramSuccess {
    this.#expect("awaiting-client-final", "client-final");
    return this.#guard(() => {
      const exchange = this.#exchange as Exchange;
      const { mechanism } = this.#options;
      const final = parseClientFinal(decodeScramMessage(message, "SCRAM client-final message"));
      if (!final.channelBinding.equals(Buffer.from(exchange.gs2Header, "utf8")))
        throw scramFailure("channel-bindings-dont-match", "SCRAM client-final c= does not match the gs2 header of client-first");
      // Kafka's ScramSaslServer checks that the nonce *ends with* the server-first one, and
      // librdkafka (2.0.x, e.g. kcat and confluent-kafka) relies on it: it sends its own nonce
      // again in front. The server's fresh part must still be there, so a replay still fails;
      // the proof covers the client-final message as sent.
      if (!final.nonce.endsWith(exchange.nonce))
        throw scramFailure("other-error", "SCRAM client-final nonce does not match the one of this exchange");
      if (final.proof.length !== hashSpec(mechanism).bytes)
        throw scramFailure("invalid-proof", `SCRAM proof must be ${hashSpec(mechanism).bytes} bytes for ${mechanism}`);
      const authMessage = exchange.authMessagePrefix + final.withoutProof;
      const clientSignature = hmac(mechanism, exchange.credential.storedKey, authMessage);
      const clientKey = Buffer.alloc(final.proof.length);
      for (let i = 0; i < clientKey.length; i++) clientKey[i] = final.proof[i] ^ clientSignature[i];
      const matches = timingSafeEqual(hash(mechanism, clientKey), exchange.credential.storedKey);
      if (!matches || !exchange.known)
        throw scramFailure("invalid-proof", `Authentication failed: invalid credentials with SASL mechanism ${mechanism}`);
      const serverSignature = hmac(mechanism, exchange.credential.serverKey, authMessage);
      this.#principal = `User:${exchange.username}`;
      this.#state = "succeeded";
      this.#exchange = undefined;
      return { serverFinal: `v=${serverSignature.toString("base64")}`, principal: this.#principal };
    });
  }

  #expect(state: ScramServerState, step: string): void {
    if (this.#state !== state)
      throw new StreamNestError("ILLEGAL_SASL_STATE", `SCRAM ${step} message received while the exchange is ${this.#state}`);
  }

  #guard<T>(step: () => T): T {
    try {
      return step();
    } catch (error) {
      this.#state = "failed";
      this.#exchange = undefined;
      throw error;
    }
  }

  // Deterministic per name (a prober sees the same salt every time, as for a real user), and
  // unpredictable without the secret. The keys only need to exist: no proof can match them.
  #fakeCredential(username: string): { salt: string; iterations: number; storedKey: Buffer; serverKey: Buffer } {
    const { mechanism, fakeCredentialSecret } = this.#options;
    const derive = (label: string): Buffer =>
      createHmac(hashSpec(mechanism).name, fakeCredentialSecret).update(`streamnest-scram-fake ${label}\u0000${mechanism}\u0000${username}`).digest();
    return {
      salt: derive("salt").subarray(0, 32).toString("base64"),
      iterations: this.#options.fakeIterations ?? DEFAULT_SCRAM_ITERATIONS,
      storedKey: derive("stored-key"),
      serverKey: derive("server-key"),
    };
  }
}
