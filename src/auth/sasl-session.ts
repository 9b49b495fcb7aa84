import { StreamNestError } from "../lib/errors.ts";
import type { Principal } from "./principal.ts";
import { authenticatePlain } from "./sasl-plain.ts";
import { type ScramCredentialLookup, ScramServer } from "./scram-server.ts";

/**
 * One server-side SASL exchange (RFC 4422) behind a single step() per client message, so a
 * Kafka SaslAuthenticate handler (KIP-152) needs no per-mechanism code: PLAIN completes in one
 * step, SCRAM in two. Bytes in, bytes out; no transport types.
 */
export const SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export interface SaslStep {
  /** Bytes for the client (empty when the mechanism has nothing to say). */
  readonly response: Uint8Array;
  /** Set on the step that completes the exchange. */
  readonly principal?: Principal;
}

export interface SaslSession {
  readonly mechanism: SaslMechanism;
  /** The authenticated principal once complete. */
  readonly principal: Principal | undefined;
  /** Throws SASL_AUTHENTICATION_FAILED on bad credentials or input, ILLEGAL_SASL_STATE past the end. */
  step(message: Uint8Array): SaslStep;
}

export interface SaslSessionOptions {
  readonly credentialOf: ScramCredentialLookup;
  readonly fakeCredentialSecret: Uint8Array;
  readonly fakeIterations?: number;
  /** Mechanisms this listener offers (Kafka's sasl.enabled.mechanisms); all by default. */
  readonly enabledMechanisms?: readonly SaslMechanism[];
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

export function createSaslSession(mechanism: string, options: SaslSessionOptions): SaslSession {
  const enabled = options.enabledMechanisms ?? SASL_MECHANISMS;
  if (!(enabled as readonly string[]).includes(mechanism))
    throw new StreamNestError(
      "UNSUPPORTED_SASL_MECHANISM",
      `SASL mechanism ${JSON.stringify(mechanism)} is not enabled; enabled: ${enabled.join(", ")}`,
    );
  return mechanism === "PLAIN" ? plainSession(options) : scramSession(mechanism as Exclude<SaslMechanism, "PLAIN">, options);
}

function plainSession(options: SaslSessionOptions): SaslSession {
  let principal: Principal | undefined;
  let used = false;
  return {
    mechanism: "PLAIN",
    get principal() {
      return principal;
    },
    step(message) {
      if (used) throw new StreamNestError("ILLEGAL_SASL_STATE", "SASL/PLAIN takes one message; the exchange is over");
      used = true;
      principal = authenticatePlain(message, options);
      return { response: EMPTY, principal };
    },
  };
}

function scramSession(mechanism: Exclude<SaslMechanism, "PLAIN">, options: SaslSessionOptions): SaslSession {
  const server = new ScramServer({
    mechanism,
    credentialOf: options.credentialOf,
    fakeCredentialSecret: options.fakeCredentialSecret,
    ...(options.fakeIterations === undefined ? {} : { fakeIterations: options.fakeIterations }),
  });
  return {
    mechanism,
    get principal() {
      return server.principal;
    },
    step(message) {
      if (server.state === "awaiting-client-first") return { response: encoder.encode(server.clientFirst(message)) };
      const { serverFinal, principal } = server.clientFinal(message);
      return { response: encoder.encode(serverFinal), principal };
    },
  };
}
