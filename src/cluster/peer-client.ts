import type { IncomingMessage } from "node:http";
import { isErrorCode, StreamNestError } from "../lib/errors.ts";
import {
  BROKER_AUTH_HEADER,
  BROKER_IDENTITY_PATH,
  BROKER_SIGNATURE_HEADER,
  FROM_HEADER,
  INTERNAL_ROUTES,
  isStreamedAnswer,
  streamedBodyMark,
} from "../lib/internal-routes.ts";
import { peerTrust, type TlsMaterial } from "../lib/tls-material.ts";
import { exchange, type PeerExchange, peerAgent, readBytes, readText, retireAgent, toResponse } from "./peer-http.ts";
import { type FetchAnswer, fetchExchange, fetchSlotFree } from "./peer-fetch.ts";
import { ChannelRefused, PeerChannel } from "./peer-channel.ts";
import { REPLICATION_LIMITS } from "../config/replication.ts";
import { CLUSTER_LIMITS } from "../config/cluster.ts";
import type { PeerCallAuth } from "./internal-auth.ts";

/**
 * HTTP calls from this broker to another, over node:http with a keep-alive agent (see
 * peer-http.ts for why not fetch): steady traffic to a peer reuses sockets instead of
 * paying a TCP handshake per call, and any number of calls run at once, so forwarded
 * long polls and live tails, however many, never make another call wait (binary(), the
 * replica fetch, goes over fetch while few enough run: peer-fetch.ts). Every call is
 * bounded: a peer that does not answer within the timeout (2 s by default), refuses the
 * connection, or cannot be resolved is reported as LEADER_UNAVAILABLE naming its
 * address, so a caller never waits on a dead broker.
 *
 * With `auth`, every call is signed for the broker id that answers at the address (learned
 * once from its public identity route) and every answer must carry that broker's signature
 * bound to the call: a process squatting a dead peer's port gets no secret and nothing it
 * can replay elsewhere, and an answer it makes up is refused, never believed.
 */

export const DEFAULT_PEER_TIMEOUT_MS = CLUSTER_LIMITS.peerTimeoutMs.value;

export interface PeerRequest {
  method?: string;
  /** Path and query, e.g. "/internal/metadata" or "/consume?topic=a&partition=0". */
  path: string;
  headers?: Headers | Record<string, string>;
  body?: string | Uint8Array | ArrayBuffer | null;
  /** The caller's own abort (e.g. the client of a forwarded stream went away). */
  signal?: AbortSignal;
  /** Bound on the wait for the answer's status and headers (and, for json(), its body). */
  timeoutMs?: number;
  /** How the peer is named in errors, e.g. "broker 3 (localhost:8082)"; default its address. */
  label?: string;
}

export interface PeerClientOptions {
  /** Signs calls and checks answers; without it calls go unsigned (and peers refuse them). */
  auth?: PeerCallAuth;
  timeoutMs?: number;
  /** Sent as x-streamnest-from so a peer's logs can say who called. */
  selfId?: number;
  /** Calls go over HTTPS, verified and with this broker's certificate (peer-http.ts). */
  tls?: TlsMaterial;
  /**
   * Replica fetches go over one WebSocket per leader (peer-channel.ts) where it can be
   * opened: with auth, without TLS. Default false: each is an HTTP request.
   */
  replicaChannel?: boolean;
}


class PeerTimeout extends Error {}

export class PeerClient {
  readonly timeoutMs: number;
  private agent: ReturnType<typeof peerAgent>;
  /** The broker id answering at each address, as it said; forgotten when a call to it is refused. */
  private readonly ids = new Map<string, number>();
  /** Lookups under way: calls that start together ask once. */
  private readonly asking = new Map<string, Promise<number>>();
  /** Replication channels by address (replicaFetch). */
  private readonly channels = new Map<string, PeerChannel>();
  /** Addresses whose channel could not be opened, until when their fetches go over HTTP. */
  private readonly channelDownUntil = new Map<string, number>();
  private channelsClosed = false;
  /** The certificate and CA in use (options.tls until a SIGHUP reloads them): new channels open with these. */
  private tls: TlsMaterial | undefined;

  constructor(private readonly options: PeerClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PEER_TIMEOUT_MS;
    this.agent = peerAgent(options.tls);
    this.tls = options.tls;
  }

  /** Calls from now on present this certificate and trust this CA (SIGHUP); calls in progress finish as they began. */
  reloadTls(material: TlsMaterial): void {
    const old = this.agent;
    this.agent = peerAgent(material);
    this.tls = material;
    retireAgent(old);
  }

  /**
   * Sends one request and resolves with the peer's Response as soon as its headers
   * arrive; the body is left to the caller and may stream for as long as the peer
   * keeps it open (server-sent events). Only failing to get an answer throws.
   */
  async send(address: string, request: PeerRequest): Promise<Response> {
    const method = request.method ?? "GET";
    const label = request.label ?? address;
    const { head, ex, release, timedOut, answerCheck } = await this.open(address, request);
    if (answerCheck === undefined) {
      release();
      return toResponse(head, ex, method);
    }
    const status = head.statusCode ?? 0;
    const contentType = headerText(head.headers["content-type"]);
    if (status !== 401 && isStreamedAnswer(contentType)) {
      release();
      try {
        answerCheck(status, streamedBodyMark(contentType ?? ""), headerText(head.headers[BROKER_SIGNATURE_HEADER]));
      } catch (error) {
        ex.cancel(error);
        throw error;
      }
      return toResponse(head, ex, method);
    }
    // Anything else is believed only once its whole body (bytes: answers may be binary) is checked.
    let bytes: Buffer;
    try {
      bytes = await readBytes(head, ex);
    } catch (error) {
      if (request.signal?.aborted && !timedOut()) throw error;
      throw unavailable(label, address, timedOut() ? new PeerTimeout() : error, request.timeoutMs ?? this.timeoutMs);
    } finally {
      release();
    }
    if (status !== 401) answerCheck(status, bytes, headerText(head.headers[BROKER_SIGNATURE_HEADER]));
    const headers = new Headers();
    for (const [name, value] of Object.entries(head.headers)) if (typeof value === "string") headers.set(name, value);
    const bodyless = method === "HEAD" || status === 204 || status === 205 || status === 304;
    return new Response(bodyless ? null : bytes, { status, statusText: head.statusMessage, headers });
  }

  /**
   * Sends one request with a binary body and reads its whole binary answer within the
   * timeout (a follower's replica fetch): over fetch while a slot is free and the peers
   * speak plain HTTP (peer-fetch.ts), else over node:http. A peer's error answer is
   * rethrown as the error it meant, as json() does.
   */
  async binary(address: string, request: PeerRequest & { body: Uint8Array }): Promise<Uint8Array> {
    return (await this.binaryAnswer(address, request)).bytes;
  }

  /**
   * binary(), saying whether the answer's bytes were checked against the peer's signature
   * (with auth, every answer but a streamed one, whose signature covers its type only).
   */
  async binaryAnswer(address: string, request: PeerRequest & { body: Uint8Array }): Promise<{ bytes: Uint8Array; authenticated: boolean }> {
    const label = request.label ?? address;
    if (this.options.tls !== undefined || !fetchSlotFree()) {
      const response = await this.send(address, request);
      if (!response.ok) throw await errorFromAnswer(response, label, address);
      const authenticated = this.options.auth !== undefined && !isStreamedAnswer(response.headers.get("content-type"));
      return { bytes: new Uint8Array(await response.arrayBuffer()), authenticated };
    }
    const method = request.method ?? "POST";
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    const headers: Record<string, string> = {};
    new Headers(request.headers).forEach((value, name) => {
      headers[name] = value;
    });
    if (this.options.selfId !== undefined) headers[FROM_HEADER] = String(this.options.selfId);
    const auth = this.options.auth;
    let receiver: number | undefined;
    let nonce: string | undefined;
    if (auth !== undefined) {
      if (request.signal?.aborted) throw request.signal.reason;
      receiver = await this.receiverId(address, label, timeoutMs);
      const signed = auth.signCall(receiver, method, request.path, request.body);
      headers[BROKER_AUTH_HEADER] = signed.authorization;
      nonce = signed.nonce;
    }
    const stop = new AbortController();
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      stop.abort(new PeerTimeout());
    }, timeoutMs);
    const signal = request.signal;
    const onCallerAbort = (): void => stop.abort(signal?.reason);
    signal?.addEventListener("abort", onCallerAbort, { once: true });
    let answer: FetchAnswer;
    try {
      if (signal?.aborted) throw signal.reason;
      answer = await fetchExchange(address, { method, path: request.path, headers, body: request.body }, stop.signal);
    } catch (error) {
      if (signal?.aborted && !expired) throw error;
      throw unavailable(label, address, expired ? new PeerTimeout() : error, timeoutMs);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onCallerAbort);
    }
    const signed = receiver !== undefined && nonce !== undefined ? { receiver, nonce } : undefined;
    return this.checkedBinary(label, address, signed, answer.status, answer.bytes, answer.header(BROKER_SIGNATURE_HEADER) ?? undefined);
  }

  /**
   * A follower's replica fetch: over the replication channel to `address` (one
   * WebSocket, peer-channel.ts) when this client uses channels and one is open or opens,
   * else as binaryAnswer() sends it. A channel that cannot be opened (a proxy that does
   * not pass the upgrade, a leader's owner thread refusing it) is tried again
   * after REPLICATION_LIMITS.channelRetryMs; its fetches go over HTTP meanwhile.
   */
  async replicaFetch(address: string, request: Omit<PeerRequest, "path" | "method"> & { body: Uint8Array }): Promise<{ bytes: Uint8Array; authenticated: boolean }> {
    const path = INTERNAL_ROUTES.replicaFetch;
    const http = { ...request, method: "POST", path, headers: { "content-type": "application/octet-stream" } };
    const auth = this.options.auth;
    if (this.options.replicaChannel !== true || auth === undefined || this.channelsClosed) return this.binaryAnswer(address, http);
    const downUntil = this.channelDownUntil.get(address);
    if (downUntil !== undefined && Date.now() < downUntil) return this.binaryAnswer(address, http);
    const label = request.label ?? address;
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    const signal = request.signal;
    if (signal?.aborted) throw signal.reason;
    const receiver = await this.receiverId(address, label, timeoutMs);
    if (this.channelsClosed) return this.binaryAnswer(address, http);
    let channel = this.channels.get(address);
    if (channel === undefined) {
      // Over TLS as every call to peers is (peer-http.ts): the leader's certificate checked against the CA and the name dialled, this broker's presented.
      channel = new PeerChannel(
        `${this.options.tls !== undefined ? "wss" : "ws"}://${address}${INTERNAL_ROUTES.replicaChannel}`,
        () => ({
          [BROKER_AUTH_HEADER]: auth.signCall(receiver, "GET", INTERNAL_ROUTES.replicaChannel, "").authorization,
          ...(this.options.selfId !== undefined ? { [FROM_HEADER]: String(this.options.selfId) } : {}),
        }),
        () => (this.tls === undefined ? undefined : { ca: peerTrust(this.tls), cert: this.tls.cert, key: this.tls.key }),
      );
      this.channels.set(address, channel);
    }
    let socket: WebSocket;
    try {
      socket = await channel.ready(timeoutMs);
    } catch (error) {
      if (!(error instanceof ChannelRefused)) throw error;
      this.channels.delete(address);
      // Nothing took the connection (the leader is down or restarting): this fetch fails
      // as a POST would have, and the next tries the channel again. Not sent as a POST
      // anyway: one that reached a leader just listening again was a fetch over HTTP for
      // no reason (a test that restarts a leader saw one in about 25 runs).
      if (error.unreachable) throw unavailable(label, address, error, timeoutMs);
      // Answered without an upgrade: this peer does not take the channel (a proxy, an
      // older version); fetches to it go over HTTP for a while. Given no answer
      // (down, restarting), the next fetch tries the channel again.
      if (error.status !== undefined) this.channelDownUntil.set(address, Date.now() + REPLICATION_LIMITS.channelRetryMs.value);
      // Signed for the id this address had: asked again, the HTTP call below is signed right.
      if (error.status === 401) this.ids.delete(address);
      return this.binaryAnswer(address, http);
    }
    const signed = auth.signCall(receiver, "POST", path, request.body);
    let answer;
    try {
      answer = await channel.call(socket, signed.authorization, request.body, timeoutMs, () => new PeerTimeout(), signal);
    } catch (error) {
      if (signal?.aborted && !(error instanceof PeerTimeout)) throw error;
      throw unavailable(label, address, error, timeoutMs);
    }
    if (answer.status === 401) {
      // Refused as signed for a broker that no longer answers here: a new channel, signed anew.
      channel.close();
      this.channels.delete(address);
    }
    return this.checkedBinary(label, address, { receiver, nonce: signed.nonce }, answer.status, answer.body, answer.signature === "" ? undefined : answer.signature);
  }

  /** Closes the replication channels (the broker is stopping): calls on them fail, and no new one opens. */
  closeChannels(): void {
    this.channelsClosed = true;
    for (const channel of this.channels.values()) channel.close();
    this.channels.clear();
  }

  /**
   * A binary answer believed only when signed by `signed.receiver` for the call's nonce
   * (a refusal, 401, is believed unsigned: it can only make the call fail, which anyone
   * on the path could); a non-2xx is thrown as the error the peer meant.
   */
  private checkedBinary(
    label: string,
    address: string,
    signed: { receiver: number; nonce: string } | undefined,
    status: number,
    bytes: Uint8Array,
    signature: string | undefined,
  ): { bytes: Uint8Array; authenticated: boolean } {
    const auth = this.options.auth;
    let authenticated = false;
    if (status === 401) this.ids.delete(address);
    else if (auth !== undefined && signed !== undefined) {
      try {
        auth.verifyAnswer(signed.receiver, signed.nonce, status, bytes, signature);
        authenticated = true;
      } catch (error) {
        this.ids.delete(address);
        throw new StreamNestError(
          "LEADER_UNAVAILABLE",
          `${label} gave an answer not signed by broker ${signed.receiver} of cluster "${auth.clusterId}" (${(error as Error).message})`,
          { broker: address, interrupted: true },
        );
      }
    }
    if (status >= 200 && status < 300) return { bytes, authenticated };
    const text = new TextDecoder().decode(bytes);
    throw peerError(label, address, status, parseJson(text), text);
  }

  /**
   * Sends one request and reads a JSON answer, all within the timeout. A peer's error
   * answer (`{"error","message"}`) is rethrown as the same StreamNestError, so the
   * caller's client sees what the peer said.
   */
  async json<T>(address: string, request: PeerRequest): Promise<T> {
    const label = request.label ?? address;
    const { head, ex, release, timedOut, answerCheck } = await this.open(address, request);
    let text: string;
    try {
      text = await readText(head, ex);
    } catch (error) {
      if (request.signal?.aborted && !timedOut()) throw error;
      throw unavailable(label, address, timedOut() ? new PeerTimeout() : error, request.timeoutMs ?? this.timeoutMs);
    } finally {
      release();
    }
    const status = head.statusCode ?? 0;
    // A refusal is believed unsigned: it can only make the call fail, which anyone on the path could.
    if (status !== 401) answerCheck?.(status, text, headerText(head.headers[BROKER_SIGNATURE_HEADER]));
    const body = parseJson(text);
    if (status >= 200 && status < 300) {
      if (body === undefined && text !== "")
        throw new StreamNestError("INTERNAL_ERROR", `${label} answered ${request.path} with a body that is not JSON`);
      return body as T;
    }
    throw peerError(label, address, status, body, text);
  }

  /**
   * Starts the exchange and waits for the answer's head. The caller's abort ends the
   * exchange at any point, the body included; the timeout only until release().
   */
  private async open(
    address: string,
    request: PeerRequest,
  ): Promise<{
    head: IncomingMessage;
    ex: PeerExchange;
    release: () => void;
    timedOut: () => boolean;
    /** With auth: throws unless the answer is signed by the broker called, for this call. */
    answerCheck: ((status: number, body: string | Uint8Array, signature: string | undefined) => void) | undefined;
  }> {
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    const label = request.label ?? address;
    const method = request.method ?? "GET";
    const headers: Record<string, string> = {};
    new Headers(request.headers).forEach((value, name) => {
      headers[name] = value;
    });
    if (this.options.selfId !== undefined) headers[FROM_HEADER] = String(this.options.selfId);
    const body = request.body instanceof ArrayBuffer ? new Uint8Array(request.body) : (request.body ?? undefined);
    let answerCheck: ((status: number, body: string | Uint8Array, signature: string | undefined) => void) | undefined;
    const auth = this.options.auth;
    if (auth !== undefined) {
      if (request.signal?.aborted) throw request.signal.reason;
      const receiver = await this.receiverId(address, label, timeoutMs);
      const signed = auth.signCall(receiver, method, request.path, body ?? "");
      headers[BROKER_AUTH_HEADER] = signed.authorization;
      answerCheck = (status, text, signature) => {
        try {
          auth.verifyAnswer(receiver, signed.nonce, status, text, signature);
        } catch (error) {
          this.ids.delete(address);
          // Whoever answered is no member: the call may have been relayed to one, so its fate is unknown.
          throw new StreamNestError(
            "LEADER_UNAVAILABLE",
            `${label} gave an answer not signed by broker ${receiver} of cluster "${auth.clusterId}" (${(error as Error).message})`,
            { broker: address, interrupted: true, unsignedAnswer: true },
          );
        }
      };
    }
    let ex: PeerExchange;
    try {
      if (request.signal?.aborted) throw request.signal.reason;
      ex = exchange(this.agent, address, { method, path: request.path, headers, body });
    } catch (error) {
      if (request.signal?.aborted) throw error;
      throw unavailable(label, address, error, timeoutMs);
    }
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      ex.cancel(new PeerTimeout());
    }, timeoutMs);
    const signal = request.signal;
    const onCallerAbort = (): void => ex.cancel(signal?.reason);
    signal?.addEventListener("abort", onCallerAbort, { once: true });
    const release = (): void => clearTimeout(timer);
    let head: IncomingMessage;
    try {
      head = await ex.head;
    } catch (error) {
      release();
      signal?.removeEventListener("abort", onCallerAbort);
      if (signal?.aborted && !expired) throw error;
      throw unavailable(label, address, expired ? new PeerTimeout() : error, timeoutMs);
    }
    // The caller's abort matters until the answer is over, not a moment longer.
    head.once("close", () => signal?.removeEventListener("abort", onCallerAbort));
    if (head.statusCode === 401) this.ids.delete(address);
    return { head, ex, release, timedOut: () => expired, answerCheck };
  }

  /**
   * The id of the broker at `address`, asked once of its public identity route. Nothing
   * secret is sent there; a call signed for a wrong id is refused by whoever receives it.
   */
  private receiverId(address: string, label: string, timeoutMs: number): Promise<number> {
    const known = this.ids.get(address);
    if (known !== undefined) return Promise.resolve(known);
    let pending = this.asking.get(address);
    if (pending === undefined) {
      pending = this.askId(address, label, timeoutMs).finally(() => this.asking.delete(address));
      this.asking.set(address, pending);
    }
    return pending;
  }

  private async askId(address: string, label: string, timeoutMs: number): Promise<number> {
    let ex: PeerExchange | undefined;
    const timer = setTimeout(() => ex?.cancel(new PeerTimeout()), timeoutMs);
    try {
      ex = exchange(this.agent, address, { method: "GET", path: BROKER_IDENTITY_PATH, headers: {} });
      const head = await ex.head;
      const body = parseJson(await readText(head, ex));
      const id = body !== null && typeof body === "object" && "id" in body ? body.id : undefined;
      if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) throw new Error(`${BROKER_IDENTITY_PATH} names no broker id`);
      this.ids.set(address, id);
      return id;
    } catch (error) {
      // The call itself was never sent.
      const why = error instanceof PeerTimeout ? `did not answer within ${timeoutMs} ms` : `cannot be reached (${describeCause(error)})`;
      throw new StreamNestError("LEADER_UNAVAILABLE", `${label} ${why}`, { broker: address });
    } finally {
      clearTimeout(timer);
    }
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Errors made here because the peer gave no answer (as against errors the peer answered). */
const noAnswer = new WeakSet<StreamNestError>();

/**
 * True when the call got no answer from the peer (refused, broken, timed out): a sign
 * the peer may be down. A LEADER_UNAVAILABLE the peer itself answered (taking up
 * leadership, a partition offline there) says the peer is up.
 */
export function isNoAnswer(error: unknown): boolean {
  return error instanceof StreamNestError && noAnswer.has(error);
}

function unavailable(label: string, address: string, cause: unknown, timeoutMs: number): StreamNestError {
  const error = unavailableError(label, address, cause, timeoutMs);
  noAnswer.add(error);
  return error;
}

function unavailableError(label: string, address: string, cause: unknown, timeoutMs: number): StreamNestError {
  const why =
    cause instanceof PeerTimeout
      ? `did not answer within ${timeoutMs} ms`
      : `cannot be reached (${describeCause(cause)})`;
  // A call that timed out, or whose connection broke after it was sent, may still have
  // been carried out; callers that change state say so.
  return new StreamNestError(
    "LEADER_UNAVAILABLE",
    `${label} ${why}`,
    cause instanceof PeerTimeout
      ? { broker: address, timedOut: true }
      : neverSent(cause)
        ? { broker: address }
        : { broker: address, interrupted: true },
  );
}

/** Failures where the request surely never reached the peer (nothing to be unsure of). */
function neverSent(cause: unknown): boolean {
  const code = cause instanceof Error ? (cause as Error & { code?: unknown }).code : undefined;
  return (
    code === "ECONNREFUSED" ||
    code === "ConnectionRefused" ||
    code === "ENOTFOUND" ||
    code === "EAI_AGAIN" ||
    code === "FailedToOpenSocket" ||
    // A TLS handshake that failed (the peer's certificate refused, or ours) sent no request.
    (typeof code === "string" && TLS_HANDSHAKE_FAILURE.test(code))
  );
}

/** OpenSSL's verification codes and the handshake errors of node:tls. */
const TLS_HANDSHAKE_FAILURE = /^(ERR_TLS_CERT|ERR_SSL_|UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED|CERT_)/;

/**
 * True for a LEADER_UNAVAILABLE whose call may have been carried out by the peer: it
 * timed out, or the connection broke after the request went (e.g. the peer was killed).
 */
export function mayHaveArrived(error: unknown): boolean {
  if (!(error instanceof StreamNestError) || error.code !== "LEADER_UNAVAILABLE") return false;
  const details = error.details as { timedOut?: unknown; interrupted?: unknown } | undefined;
  return details?.timedOut === true || details?.interrupted === true;
}

/** True for a LEADER_UNAVAILABLE that came from a timeout (the peer may have acted anyway). */
export function isTimeout(error: unknown): boolean {
  if (!(error instanceof StreamNestError) || error.code !== "LEADER_UNAVAILABLE") return false;
  const details = error.details as { timedOut?: unknown } | undefined;
  return details?.timedOut === true;
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: unknown }).code;
    if (typeof code === "string" && UNTRUSTED_CERTIFICATE.test(code)) return `${code}: ${UNTRUSTED_HINT}`;
    return typeof code === "string" && code !== "" ? code : cause.message;
  }
  return String(cause);
}

/**
 * TLS failures that no retry mends: the peer's certificate is not trusted here (a private
 * CA without --tls-ca) or does not name the address dialled. Said in words, since a
 * cluster of brokers with such certificates never formed and logged nothing of why.
 */
const UNTRUSTED_CERTIFICATE =
  /^(?:UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_UNTRUSTED|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)$/;
export const UNTRUSTED_HINT =
  "its TLS certificate is not accepted here (not signed by a CA this broker trusts, expired, or not naming the address dialled); give every broker --tls-ca=<the CA that signed the brokers' certificates>";

/** Reads a peer's non-2xx answer (e.g. from send()) into the error the peer meant. */
export async function errorFromAnswer(response: Response, label: string, address: string): Promise<StreamNestError> {
  const text = await response.text().catch(() => "");
  return peerError(label, address, response.status, parseJson(text), text);
}

/** Turns a peer's non-2xx answer into the error the peer meant. */
function peerError(label: string, address: string, status: number, body: unknown, text: string): StreamNestError {
  if (body !== null && typeof body === "object" && "error" in body && isErrorCode(body.error)) {
    const message = "message" in body && typeof body.message === "string" ? body.message : body.error;
    const details = "details" in body ? body.details : undefined;
    if (body.error === "UNAUTHORIZED")
      // Our signature was refused: a configuration fault between brokers, not the caller's.
      return new StreamNestError(
        "LEADER_UNAVAILABLE",
        `${label} refused this broker's signed call (${message}; every broker of a cluster needs the same cluster secret and --cluster-id, and registers with its metadata quorum before its calls are served)`,
        { broker: address },
      );
    return new StreamNestError(body.error, message, details);
  }
  return new StreamNestError(
    "INTERNAL_ERROR",
    `${label} answered ${status}${text === "" ? "" : `: ${text.slice(0, 200)}`}`,
    { broker: address },
  );
}
