import { ANONYMOUS, type Principal } from "../auth/principal.ts";
import type { SaslSession } from "../auth/sasl-session.ts";

/**
 * Who a Kafka connection is (KIP-43 / KIP-152): unauthenticated until a SASL exchange
 * completes, then one principal. With a session lifetime (--kafka-reauth-ms, KIP-368) the
 * SASL session ends that long after it began: the client re-authenticates on the same
 * connection before then (a new SaslHandshake v1 + SaslAuthenticate, as the same principal),
 * or its next request past the end closes the connection. Without one, the principal holds
 * for the connection's life. Without --auth=token every connection is ANONYMOUS from the start.
 *
 * A TLS connection whose client certificate the broker verified (--tls-ca) starts as that
 * certificate's principal (User:<subject CN>, as Kafka's SSL listener with
 * ssl.principal.mapping.rules taking the CN), so it needs no SASL; a client that does
 * SASL anyway becomes the SASL principal once that succeeds, as on Kafka's SASL_SSL.
 */
export class ConnectionAuth {
  #principal: Principal | undefined;
  #sasl = false;
  /** When the SASL session ends (epoch ms), with a session lifetime. */
  #sessionEnd: number | undefined;
  /** The exchange a SaslHandshake opened, and the handshake's version (0: bare tokens follow). */
  exchange: { readonly session: SaslSession; readonly handshakeVersion: number } | undefined;

  constructor(required: boolean, certificate?: Principal) {
    this.#principal = required ? certificate : ANONYMOUS;
  }

  /** A SASL exchange succeeded on this connection: another is a re-authentication (KIP-368). */
  get saslDone(): boolean {
    return this.#sasl;
  }

  /** The SASL session has ended without a re-authentication: only SASL requests may follow. */
  expired(now: number): boolean {
    return this.#sessionEnd !== undefined && now >= this.#sessionEnd;
  }

  get principal(): Principal | undefined {
    return this.#principal;
  }

  get authenticated(): boolean {
    return this.#principal !== undefined;
  }

  /** After handshake v0, frames are bare SASL tokens until the exchange ends (KIP-43). */
  get expectsBareToken(): boolean {
    return !this.#sasl && this.exchange?.handshakeVersion === 0;
  }

  /** A SASL exchange succeeded at `now`; a session lifetime above 0 ends the session that much later. */
  succeeded(principal: Principal, now = 0, lifetimeMs = 0): void {
    this.#principal = principal;
    this.#sasl = true;
    this.#sessionEnd = lifetimeMs > 0 ? now + lifetimeMs : undefined;
    this.exchange = undefined;
  }
}
