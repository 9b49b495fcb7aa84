/**
 * How brokers prove to each other that they belong to one cluster, as the cluster layer
 * needs it: sign each call and check each answer (the client side), check each call and
 * sign each answer (the callee side). No secret crosses the wire: every call carries an
 * HMAC bound to the cluster id, the sender, the receiver, a timestamp and a nonce, and
 * every answer an HMAC bound to that nonce. auth/broker-call-auth.ts implements it; the
 * node hands it over, so the cluster layer never holds the secret itself.
 */
export interface PeerCallAuth {
  readonly clusterId: string;
  /** The header value for a call to broker `receiverId`, and the nonce its answer is bound to. */
  signCall(receiverId: number, method: string, path: string, body: string | Uint8Array): { authorization: string; nonce: string };
  /** Throws UNAUTHORIZED unless broker `responderId` signed this answer to the call with `nonce`. */
  verifyAnswer(responderId: number, nonce: string, status: number, body: string | Uint8Array, signature: string | null | undefined): void;
  /** Throws UNAUTHORIZED (saying why) unless the call is signed by a member, for this broker, fresh and new. */
  verifyCall(authorization: string | null, method: string, path: string, body: string | Uint8Array): { sender: number; nonce: string };
  /** The signature of this broker's answer to the call with `nonce`. */
  signAnswer(nonce: string, status: number, body: string | Uint8Array | readonly Uint8Array[]): string;
}
