import { timingSafeEqual } from "node:crypto";
import { StreamNestError } from "../lib/errors.ts";
import { clusterIdProblem } from "./cluster-keys.ts";
import { NonceReplayCache } from "./nonce-replay-cache.ts";

/**
 * Broker-to-broker authentication that never sends the secret: each request carries an
 * HMAC-SHA256 (key from deriveClusterKeys) over the cluster id, sender and receiver ids, a
 * timestamp, a random nonce, the method, the path and the body's SHA-256. The receiver checks
 * the cluster id, that it is the intended receiver, the clock skew, the MAC (constant time)
 * and that the nonce is new. A process squatting a dead peer's port sees only MACs bound to
 * one request, one receiver and a short window: nothing it can replay or reuse. Responses are
 * signed too, bound to the request's nonce, so such a process cannot forge an answer either.
 *
 * Chosen over mutual TLS with a cluster CA because it needs no certificate authority, no
 * files and no handshake per connection, and works unchanged through the test harness's
 * proxies; TLS (for confidentiality) can be layered under it.
 */
export const SCHEME = "StreamNest-HMAC-SHA256";
export const DEFAULT_MAX_SKEW_MS = 30_000;
export const DEFAULT_MAX_NONCES = 1_000_000;

export interface BrokerRequestAuth {
  readonly clusterId: string;
  readonly senderId: number;
  readonly receiverId: number;
  /** Epoch ms of the sender's clock. */
  readonly timestamp: number;
  readonly nonce: string;
  /** base64url HMAC-SHA256. */
  readonly signature: string;
}

export interface BrokerRequest {
  readonly method: string;
  /** Path with query, exactly as sent. */
  readonly path: string;
  readonly body: string | Uint8Array;
}

const NONCE = /^[A-Za-z0-9_-]{22}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;
const METHOD = /^[A-Z]{1,16}$/;

function unauthorized(message: string): StreamNestError {
  return new StreamNestError("UNAUTHORIZED", message);
}

function brokerIdProblem(id: unknown, what: string): string | undefined {
  return Number.isSafeInteger(id) && (id as number) >= 0 ? undefined : `${what} must be a non-negative integer`;
}

/** A body given in parts (an answer sent as they are, back to back) hashes as the parts joined. */
function bodyHash(body: string | Uint8Array | readonly Uint8Array[]): string {
  if (typeof body === "string" || body instanceof Uint8Array) return Bun.SHA256.hash(body, "hex");
  const hash = new Bun.CryptoHasher("sha256");
  for (const part of body) hash.update(part);
  return hash.digest("hex");
}

const LINE_BREAK = /[\r\n]/;

// One field per line; no field may contain a newline (checked), so the encoding is unambiguous.
function requestText(a: Omit<BrokerRequestAuth, "signature">, request: BrokerRequest): string {
  if (!METHOD.test(request.method)) throw unauthorized(`request method "${request.method}" is not an upper-case token`);
  if (request.path.length === 0 || LINE_BREAK.test(request.path)) throw unauthorized("request path is empty or has a line break");
  return `STREAMNEST-REQUEST-V1\n${a.clusterId}\n${a.senderId}\n${a.receiverId}\n${a.timestamp}\n${a.nonce}\n${request.method}\n${request.path}\n${bodyHash(request.body)}`;
}

// Bun's own HMAC: node:crypto's createHmac cost about twice as much per call here (a
// replica fetch signs and checks four MACs per round trip).
function mac(key: Uint8Array, text: string): Buffer {
  return new Bun.CryptoHasher("sha256", key).update(text).digest();
}

/** 16 random bytes, base64url (22 characters). */
function newNonce(): string {
  return crypto.getRandomValues(Buffer.allocUnsafe(16)).toString("base64url");
}

export interface SignRequestInput {
  readonly clusterId: string;
  readonly senderId: number;
  readonly receiverId: number;
  readonly now: number;
  readonly request: BrokerRequest;
}

export function signBrokerRequest(key: Uint8Array, input: SignRequestInput): BrokerRequestAuth {
  const fields = {
    clusterId: input.clusterId,
    senderId: input.senderId,
    receiverId: input.receiverId,
    timestamp: input.now,
    nonce: newNonce(),
  };
  checkFields(fields);
  return { ...fields, signature: mac(key, requestText(fields, input.request)).toString("base64url") };
}

function checkFields(a: Omit<BrokerRequestAuth, "signature">): void {
  const problem =
    clusterIdProblem(a.clusterId) ??
    brokerIdProblem(a.senderId, "sender id") ??
    brokerIdProblem(a.receiverId, "receiver id") ??
    brokerIdProblem(a.timestamp, "timestamp") ??
    (NONCE.test(a.nonce) ? undefined : "nonce must be 22 base64url characters");
  if (problem) throw unauthorized(`broker request authentication: ${problem}`);
}

/** One header value: `StreamNest-HMAC-SHA256 cluster=…,sender=…,receiver=…,ts=…,nonce=…,sig=…`. */
export function formatBrokerRequestAuth(a: BrokerRequestAuth): string {
  return `${SCHEME} cluster=${a.clusterId},sender=${a.senderId},receiver=${a.receiverId},ts=${a.timestamp},nonce=${a.nonce},sig=${a.signature}`;
}

const AUTH_FIELDS = ["cluster", "sender", "receiver", "ts", "nonce", "sig"] as const;
type AuthField = (typeof AUTH_FIELDS)[number];
const INTEGER = /^(0|[1-9][0-9]{0,15})$/;

export function parseBrokerRequestAuth(text: string | undefined | null): BrokerRequestAuth {
  if (typeof text !== "string" || !text.startsWith(`${SCHEME} `))
    throw unauthorized(`broker request lacks ${SCHEME} authentication`);
  const fields: Partial<Record<AuthField, string>> = {};
  for (const part of text.slice(SCHEME.length + 1).split(",")) {
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.slice(0, eq);
    if (eq < 0 || Object.hasOwn(fields, name))
      throw unauthorized(`malformed ${SCHEME} authentication near "${part.slice(0, 20)}"`);
    if (!AUTH_FIELDS.includes(name as AuthField)) throw unauthorized(`unknown ${SCHEME} field "${name}"`);
    fields[name as AuthField] = part.slice(eq + 1);
  }
  for (const name of AUTH_FIELDS) if (fields[name] === undefined) throw unauthorized(`${SCHEME} authentication lacks ${name}=`);
  const integer = (name: AuthField): number => {
    const value = fields[name] as string;
    if (!INTEGER.test(value)) throw unauthorized(`${SCHEME} ${name}= is not a non-negative integer`);
    return Number(value);
  };
  const signature = fields.sig as string;
  if (!SIGNATURE.test(signature)) throw unauthorized(`${SCHEME} sig= is not a base64url HMAC-SHA256`);
  const auth = {
    clusterId: fields.cluster as string,
    senderId: integer("sender"),
    receiverId: integer("receiver"),
    timestamp: integer("ts"),
    nonce: fields.nonce as string,
    signature,
  };
  checkFields(auth);
  return auth;
}

export interface BrokerRequestVerifierOptions {
  readonly key: Uint8Array;
  readonly clusterId: string;
  /** This broker's id: a request signed for another broker is refused. */
  readonly selfId: number;
  /**
   * Whether the receiver accepts this call from this broker id, as the quorum knows it
   * (the request given, as some calls are open to a broker that is still joining).
   */
  readonly isKnownSender: (senderId: number, request: BrokerRequest) => boolean;
  readonly maxSkewMs?: number;
  readonly maxNonces?: number;
}

export class BrokerRequestVerifier {
  readonly #options: BrokerRequestVerifierOptions;
  readonly #maxSkewMs: number;
  readonly #nonces: NonceReplayCache;

  constructor(options: BrokerRequestVerifierOptions) {
    this.#options = options;
    this.#maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    this.#nonces = new NonceReplayCache(this.#maxSkewMs, options.maxNonces ?? DEFAULT_MAX_NONCES);
  }

  /** Returns the authenticated sender id, or throws UNAUTHORIZED saying why. */
  verify(authorization: string | BrokerRequestAuth | undefined | null, request: BrokerRequest, now: number): number {
    const a = typeof authorization === "object" && authorization !== null ? authorization : parseBrokerRequestAuth(authorization);
    checkFields(a);
    const { clusterId, selfId, key, isKnownSender } = this.#options;
    if (a.clusterId !== clusterId) throw unauthorized(`broker request is for cluster "${a.clusterId}", this is cluster "${clusterId}"`);
    if (a.receiverId !== selfId) throw unauthorized(`broker request is addressed to broker ${a.receiverId}, this is broker ${selfId}`);
    if (Math.abs(now - a.timestamp) > this.#maxSkewMs)
      throw unauthorized(`broker request timestamp is ${now - a.timestamp} ms from this broker's clock; at most ${this.#maxSkewMs} ms allowed`);
    const expected = mac(key, requestText(a, request));
    const presented = Buffer.from(a.signature, "base64url");
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected))
      throw unauthorized("broker request signature does not verify");
    // Membership is checked only on a valid MAC: an outsider learns nothing about members.
    if (!isKnownSender(a.senderId, request)) throw unauthorized(`broker ${a.senderId} is not a member of cluster "${clusterId}"`);
    const seen = this.#nonces.record(`${a.senderId}/${a.nonce}`, now);
    if (seen === "replayed") throw unauthorized("broker request nonce was already used (replay)");
    if (seen === "full") throw new StreamNestError("REQUEST_TIMED_OUT", "too many broker requests in the replay window; retry");
    return a.senderId;
  }
}

export interface BrokerResponse {
  readonly clusterId: string;
  readonly responderId: number;
  /** The nonce of the request answered: binds the answer to it, so no answer can be replayed. */
  readonly requestNonce: string;
  readonly status: number;
  readonly body: string | Uint8Array | readonly Uint8Array[];
}

function responseText(r: BrokerResponse): string {
  return `STREAMNEST-RESPONSE-V1\n${r.clusterId}\n${r.responderId}\n${r.requestNonce}\n${r.status}\n${bodyHash(r.body)}`;
}

export function signBrokerResponse(key: Uint8Array, response: BrokerResponse): string {
  return mac(key, responseText(response)).toString("base64url");
}

/** Throws UNAUTHORIZED unless the answer comes from a holder of the key, for that request. */
export function verifyBrokerResponse(key: Uint8Array, response: BrokerResponse, signature: string | undefined | null): void {
  if (typeof signature !== "string" || !SIGNATURE.test(signature))
    throw unauthorized(`answer of broker ${response.responderId} lacks a valid ${SCHEME} signature`);
  const presented = Buffer.from(signature, "base64url");
  const expected = mac(key, responseText(response));
  if (!timingSafeEqual(presented, expected)) throw unauthorized(`answer of broker ${response.responderId} has a signature that does not verify`);
}
