import { ANONYMOUS, type Principal } from "../auth/principal.ts";
import type { SaslSession } from "../auth/sasl-session.ts";

/**
 * Who a Kafka connection is (KIP-43 / KIP-152): unauthenticated until a SASL exchange
 * completes, then one principal for the connection's life (no re-authentication, KIP-368,
 * so SaslAuthenticate answers a session lifetime of 0). Without --auth=token every
 * connection is ANONYMOUS from the start.
 *
 * A TLS connection whose client certificate the broker verified (--tls-ca) starts as that
 * certificate's principal (User:<subject CN>, as Kafka's SSL listener with
 * ssl.principal.mapping.rules taking the CN), so it needs no SASL; a client that does
 * SASL anyway becomes the SASL principal once that succeeds, as on Kafka's SASL_SSL.
 */
export class ConnectionAuth {
  #principal: Principal | undefined;
  #sasl = false;
  /** The exchange a SaslHandshake opened, and the handshake's version (0: bare tokens follow). */
  exchange: { readonly session: SaslSession; readonly handshakeVersion: number } | undefined;

  constructor(required: boolean, certificate?: Principal) {
    this.#principal = required ? certificate : ANONYMOUS;
  }

  /** A SASL exchange succeeded on this connection: another one is refused (no KIP-368). */
  get saslDone(): boolean {
    return this.#sasl;
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

  succeeded(principal: Principal): void {
    this.#principal = principal;
    this.#sasl = true;
    this.exchange = undefined;
  }
}
