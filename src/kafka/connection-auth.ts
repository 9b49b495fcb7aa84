import { ANONYMOUS, type Principal } from "../auth/principal.ts";
import type { SaslSession } from "../auth/sasl-session.ts";

/**
 * Who a Kafka connection is (KIP-43 / KIP-152): unauthenticated until a SASL exchange
 * completes, then one principal for the connection's life (no re-authentication, KIP-368,
 * so SaslAuthenticate answers a session lifetime of 0). Without --auth=token every
 * connection is ANONYMOUS from the start.
 */
export class ConnectionAuth {
  #principal: Principal | undefined;
  /** The exchange a SaslHandshake opened, and the handshake's version (0: bare tokens follow). */
  exchange: { readonly session: SaslSession; readonly handshakeVersion: number } | undefined;

  constructor(required: boolean) {
    this.#principal = required ? undefined : ANONYMOUS;
  }

  get principal(): Principal | undefined {
    return this.#principal;
  }

  get authenticated(): boolean {
    return this.#principal !== undefined;
  }

  /** After handshake v0, frames are bare SASL tokens until the exchange ends (KIP-43). */
  get expectsBareToken(): boolean {
    return !this.authenticated && this.exchange?.handshakeVersion === 0;
  }

  succeeded(principal: Principal): void {
    this.#principal = principal;
    this.exchange = undefined;
  }
}
