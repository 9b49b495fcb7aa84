import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import { REPLICATION_LIMITS } from "../config/replication.ts";
import { CHANNEL_BACKSTOP_BYTES, releaseHeld, sendOrHold } from "./channel-hold.ts";
import { decodeCall, encodeAnswer, FrameError, type ChannelCall } from "../lib/channel-frames.ts";
import { StreamNestError } from "../lib/errors.ts";
import { BROKER_AUTH_HEADER, INTERNAL_ROUTES } from "../lib/internal-routes.ts";
import { errorAnswer } from "./errors.ts";
import type { ServeFetch, SocketFetch } from "./fast-path.ts";
import type { PeerEndpoint } from "./peer-endpoint.ts";
import type { RequestCounter } from "./respond.ts";

/**
 * The leader's end of the replication channel (lib/channel-frames.ts): a follower's
 * signed GET to INTERNAL_ROUTES.replicaChannel is upgraded to a WebSocket, and each call
 * on it is served as a POST to INTERNAL_ROUTES.replicaFetch is (internal.ts): verified
 * (signature, freshness, nonce never seen), served by the same replicaFetch, answered
 * with the same status, body and signature bound to the call's nonce. The upgrade's own
 * signature admits the socket; every call on it is still checked on its own, so the
 * channel trusts nothing the HTTP route would not.
 *
 * Why: each acks=all produce waits on a round of replica fetches. Measured on this
 * machine, one small fetch cost ~106 µs of CPU in the follower's fetch() and ~65 µs in
 * this thread's Bun.serve, with a 160 µs round trip; the same exchange as WebSocket
 * messages 35 + 30 µs and 60 µs.
 *
 * Only the thread that owns the logs serves it: on its port with --workers=1; with worker
 * threads on the port, on its private socket, to which the worker that took the upgrade
 * relays the channel (workers/channel-relay.ts).
 */

export interface ChannelSocketData {
  /** The broker whose signed upgrade opened the socket: every call on it must be signed by the same one. */
  sender: number;
  /** Aborted when the socket closes: ends the fetches waiting at this leader for it. */
  closed: AbortController;
  /** Answers waiting for the socket to drain, oldest first (see send). */
  waiting: Answer[];
}

interface Answer {
  id: number;
  status: number;
  json: boolean;
  signature: string;
  parts: readonly Uint8Array[];
}

const ROUTE = INTERNAL_ROUTES.replicaFetch;
const CHANNEL = INTERNAL_ROUTES.replicaChannel;
/**
 * Calls on a channel are counted as requests of this "method" on the channel's route
 * (streamnest_http_requests_total{method="WS",route="/internal/replication/channel"}),
 * apart from the fetches sent as POSTs.
 */
const CALL_METHOD = "WS";
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** WebSocket close codes (RFC 6455 §7.4.1). */
const GOING_AWAY = 1001;
const UNSUPPORTED_DATA = 1003;
const PROTOCOL_ERROR = 1002;

/**
 * `fetch` with the channel's door in front: a GET to exactly the channel's path (no
 * query) is the channel's to upgrade or refuse; everything else goes on as it came.
 */
export function withReplicaChannel(fetch: ServeFetch, channel: ReplicaChannelServer): SocketFetch {
  return (request, server) => {
    const url = request.url;
    if (request.method === "GET" && url.endsWith(CHANNEL) && url.indexOf("/", url.indexOf("//") + 2) === url.length - CHANNEL.length)
      return channel.accept(request, server, CHANNEL);
    return fetch(request, server);
  };
}

export class ReplicaChannelServer {
  /** One frame buffer, reused (it grows to the largest answer sent): Bun copies what it does not write at once. */
  private scratch = new Uint8Array(64 * 1024);
  readonly websocket: WebSocketHandler<ChannelSocketData>;
  private served: (() => void) | undefined;
  /** Open channels, closed by closeAll when the broker stops. */
  private readonly sockets = new Set<ServerWebSocket<ChannelSocketData>>();

  constructor(
    private readonly link: PeerEndpoint,
    private readonly requests: RequestCounter,
    private readonly logError: (message: string) => void,
  ) {
    this.websocket = {
      // Calls are a few hundred bytes; the HTTP route's body limit is far above any.
      maxPayloadLength: REPLICATION_LIMITS.channelCallMaxBytes.value,
      // Past this Bun would drop a frame; send() never lets it get there (it holds answers
      // back from channelBufferBytes on), so the bound is only a backstop.
      backpressureLimit: CHANNEL_BACKSTOP_BYTES,
      closeOnBackpressureLimit: true,
      perMessageDeflate: false,
      open: (ws) => void this.sockets.add(ws),
      message: (ws, message) => this.message(ws, message),
      drain: (ws) => this.drain(ws),
      close: (ws) => {
        this.sockets.delete(ws);
        ws.data.closed.abort(new StreamNestError("LEADER_UNAVAILABLE", "the replication channel closed"));
      },
    };
  }

  /**
   * Closes every open channel (going away): the broker is stopping. Without it a
   * graceful stop waited out its drain bound (2 s) for followers' channels, which no
   * follower closes while the leader is up.
   */
  closeAll(): void {
    for (const ws of [...this.sockets]) ws.close(GOING_AWAY, "the broker is stopping");
  }

  /**
   * A GET to the channel's path: upgraded when signed by a broker of this cluster for
   * this one (undefined then: Bun answers 101), else refused as the internal guard
   * refuses an unsigned call.
   */
  accept(request: Request, server: Server<unknown>, path: string): Response | undefined {
    try {
      const authorization = request.headers.get(BROKER_AUTH_HEADER);
      if (authorization === null)
        throw new StreamNestError("UNAUTHORIZED", `internal routes need a call signed by a broker of this cluster (${BROKER_AUTH_HEADER})`);
      const { sender } = this.link.authorize({ authorization, method: "GET", path, body: EMPTY });
      const data: ChannelSocketData = { sender, closed: new AbortController(), waiting: [] };
      if ((server as Server<ChannelSocketData>).upgrade(request, { data })) {
        this.requests.count("GET", INTERNAL_ROUTES.replicaChannel, 101);
        return undefined;
      }
      throw new StreamNestError("INVALID_REQUEST", `${INTERNAL_ROUTES.replicaChannel} takes a WebSocket upgrade only`);
    } catch (error) {
      const refused = errorAnswer(error, undefined, "GET", INTERNAL_ROUTES.replicaChannel);
      this.requests.count("GET", INTERNAL_ROUTES.replicaChannel, refused.status);
      return Response.json(refused.body, { status: refused.status });
    }
  }

  private message(ws: ServerWebSocket<ChannelSocketData>, message: string | Buffer): void {
    if (typeof message === "string") {
      ws.close(UNSUPPORTED_DATA, "the replication channel carries binary frames only");
      return;
    }
    let call: ChannelCall;
    try {
      call = decodeCall(message);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      ws.close(PROTOCOL_ERROR, error.message.slice(0, 120));
      return;
    }
    void this.serve(ws, call);
  }

  private async serve(ws: ServerWebSocket<ChannelSocketData>, call: ChannelCall): Promise<void> {
    let nonce: string;
    try {
      const verified = this.link.authorize({ authorization: call.authorization, method: "POST", path: ROUTE, body: call.body });
      if (verified.sender !== ws.data.sender)
        throw new StreamNestError("UNAUTHORIZED", `a call signed by broker ${verified.sender} on the channel broker ${ws.data.sender} opened`);
      nonce = verified.nonce;
    } catch (error) {
      // Unsigned, as the guard's refusal: it can only make the call fail.
      const refused = errorAnswer(error, undefined, "POST", ROUTE);
      this.requests.count(CALL_METHOD, CHANNEL, refused.status);
      this.send(ws, { id: call.id, status: refused.status, json: true, signature: "", parts: [encoder.encode(JSON.stringify(refused.body))] });
      return;
    }
    let status = 200;
    let json = false;
    let parts: readonly Uint8Array[];
    try {
      parts = await this.link.replicaFetch(call.body, ws.data.closed.signal);
    } catch (error) {
      const refused = errorAnswer(error, undefined, "POST", ROUTE);
      if (refused.status === 500 && !ws.data.closed.signal.aborted)
        this.logError(`POST ${ROUTE} (replication channel): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      status = refused.status;
      json = true;
      parts = [encoder.encode(JSON.stringify(refused.body))];
    }
    // Its cell looked up once, at the first: a broker that never leads shows no such row.
    if (status === 200) (this.served ??= this.requests.counterOf(CALL_METHOD, CHANNEL, 200))();
    else this.requests.count(CALL_METHOD, CHANNEL, status);
    if (ws.data.closed.signal.aborted) return;
    this.send(ws, { id: call.id, status, json, signature: this.link.signAnswer(nonce, status, parts), parts });
  }

  /** Sends the answer now, or holds it (its parts as they are, not copied) while the follower reads slowly (channel-hold.ts). */
  private send(ws: ServerWebSocket<ChannelSocketData>, answer: Answer): void {
    sendOrHold(ws, ws.data.waiting, answer, (a) => this.write(ws, a));
  }

  private drain(ws: ServerWebSocket<ChannelSocketData>): void {
    releaseHeld(ws, ws.data.waiting, (a) => this.write(ws, a));
  }

  private write(ws: ServerWebSocket<ChannelSocketData>, answer: Answer): void {
    const frame = encodeAnswer(answer, answer.parts, (size) => {
      if (size > this.scratch.length) this.scratch = new Uint8Array(Math.max(size, this.scratch.length * 2));
      return this.scratch.subarray(0, size);
    });
    // Copied by Bun as far as it does not reach the socket at once: the scratch is free again.
    ws.send(frame);
  }
}
