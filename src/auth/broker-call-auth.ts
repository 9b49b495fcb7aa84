import {
  type BrokerRequest,
  BrokerRequestVerifier,
  formatBrokerRequestAuth,
  parseBrokerRequestAuth,
  signBrokerRequest,
  signBrokerResponse,
  verifyBrokerResponse,
} from "./broker-request-signature.ts";
import { deriveClusterKeys } from "./cluster-keys.ts";
import { StreamNestError } from "../lib/errors.ts";

/**
 * One broker's side of the signed broker-to-broker protocol (broker-request-signature.ts):
 * it signs the calls it makes and checks the answers, and checks the calls it receives and
 * signs its answers. The key is derived from the cluster secret and the cluster id, and the
 * secret itself is dropped here: nothing the broker sends is, or reveals, the secret.
 */

export interface BrokerCallAuthOptions {
  secret: string | Uint8Array;
  clusterId: string;
  selfId: number;
  /**
   * Whether a sender holding the key is a member this broker accepts this call from.
   * Default: any holder of the key; the node narrows it to what the metadata quorum knows
   * (cluster/sender-membership.ts), leaving open the calls a joining broker makes.
   */
  isKnownSender?: KnownSenderCheck;
  now?: () => number;
}

/** Whether broker `senderId` (its signature verified) may make the call `request`. */
export type KnownSenderCheck = (senderId: number, request: BrokerRequest) => boolean;

/** What a verified call proved: who sent it, and the nonce its answer must be bound to. */
export interface VerifiedCall {
  sender: number;
  nonce: string;
}

export interface SignedCall {
  authorization: string;
  nonce: string;
}

export class BrokerCallAuth {
  readonly clusterId: string;
  readonly selfId: number;
  readonly #key: Uint8Array;
  readonly #verifier: BrokerRequestVerifier;
  readonly #now: () => number;
  readonly #startedAt: number;
  #isKnownSender: KnownSenderCheck;

  constructor(options: BrokerCallAuthOptions) {
    this.#key = deriveClusterKeys(options.secret, options.clusterId).brokerRequests;
    this.clusterId = options.clusterId;
    this.selfId = options.selfId;
    this.#now = options.now ?? Date.now;
    this.#startedAt = this.#now();
    this.#isKnownSender = options.isKnownSender ?? (() => true);
    this.#verifier = new BrokerRequestVerifier({
      key: this.#key,
      clusterId: options.clusterId,
      selfId: options.selfId,
      isKnownSender: (id, request) => this.#isKnownSender(id, request),
    });
  }

  /** Replaces the membership check (the cluster layer knows its members only once running). */
  set isKnownSender(check: KnownSenderCheck) {
    this.#isKnownSender = check;
  }

  /** The Authorization value of a call to broker `receiverId`. */
  signCall(receiverId: number, method: string, path: string, body: string | Uint8Array): SignedCall {
    const auth = signBrokerRequest(this.#key, {
      clusterId: this.clusterId,
      senderId: this.selfId,
      receiverId,
      now: this.#now(),
      request: { method, path, body },
    });
    return { authorization: formatBrokerRequestAuth(auth), nonce: auth.nonce };
  }

  /** Throws UNAUTHORIZED unless broker `responderId` signed this answer to the call with `nonce`. */
  verifyAnswer(responderId: number, nonce: string, status: number, body: string | Uint8Array, signature: string | null | undefined): void {
    verifyBrokerResponse(this.#key, { clusterId: this.clusterId, responderId, requestNonce: nonce, status, body }, signature);
  }

  /** Throws UNAUTHORIZED (saying why) unless the call was signed by a member, for this broker, fresh and never seen. */
  verifyCall(authorization: string | null, method: string, path: string, body: string | Uint8Array): VerifiedCall {
    const auth = parseBrokerRequestAuth(authorization);
    // The nonces seen are kept in memory: a restarted broker has forgotten those of its
    // last life, so a call signed before it started (captured by whoever held its port
    // meanwhile) is refused. A sender whose clock is behind is refused for that long only.
    if (auth.timestamp < this.#startedAt)
      throw new StreamNestError("UNAUTHORIZED", "broker request was signed before this broker started (a replay, or the sender's clock is behind)");
    const sender = this.#verifier.verify(auth, { method, path, body }, this.#now());
    return { sender, nonce: auth.nonce };
  }

  /** The signature header of this broker's answer to the call with `nonce`. */
  signAnswer(nonce: string, status: number, body: string | Uint8Array | readonly Uint8Array[]): string {
    return signBrokerResponse(this.#key, { clusterId: this.clusterId, responderId: this.selfId, requestNonce: nonce, status, body });
  }
}

