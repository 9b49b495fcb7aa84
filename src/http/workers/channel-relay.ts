/**
 * The replication channel (../replica-channel.ts) through a worker thread, for a broker
 * with --workers above 1: the thread that owns the logs serves the channel but does not
 * listen on the port, so the worker that takes a follower's upgrade opens the same
 * channel to the owner's private socket (ws+unix, the follower's signed upgrade passed
 * on as it came) and relays frames both ways, unread. Every check stays with the owner:
 * the upgrade's signature, each call's, the sender; a refusal reaches the follower with
 * the owner's status.
 *
 * Why not leave such leaders to HTTP fetches: with the default --workers (cores - 1), a
 * machine of 3 cores or more would never use the channel, and each fetch passed on
 * through a worker cost more than one sent straight to the owner.
 *
 * Pacing: the owner's socket to this thread drains as fast as this thread reads it, so
 * the owner never holds an answer back; this thread does, on the follower's socket
 * (channel-hold.ts), as the owner would on its own port.
 */
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import { CLUSTER_LIMITS } from "../../config/cluster.ts";
import { REPLICATION_LIMITS } from "../../config/replication.ts";
import { StreamNestError } from "../../lib/errors.ts";
import { BROKER_AUTH_HEADER, FROM_HEADER, INTERNAL_ROUTES } from "../../lib/internal-routes.ts";
import { CHANNEL_BACKSTOP_BYTES, releaseHeld, sendOrHold } from "../channel-hold.ts";

export interface RelayData {
  /** The channel's other half: a WebSocket to the owner's private socket. */
  owner: WebSocket;
  /** Answers from the owner waiting for the follower to read (channel-hold.ts). */
  held: (ArrayBuffer | string)[];
}

const CHANNEL = INTERNAL_ROUTES.replicaChannel;

/** WebSocket close codes (RFC 6455 §7.4.1): 1005 and 1006 are never sent, only reported. */
const GOING_AWAY = 1001;
const NOT_SENT = new Set([1005, 1006, 1015]);

/** Whether the request is the channel's upgrade (the owner refuses anything else on its path as it would on its port). */
export function isChannelUpgrade(request: Request, path: string, search: string): boolean {
  return path === CHANNEL && search === "" && request.method === "GET" && request.headers.get("upgrade")?.toLowerCase() === "websocket";
}

/**
 * Opens the channel to the owner with the follower's signed upgrade, then upgrades the
 * follower's connection (undefined: Bun answers 101); or answers the owner's refusal.
 */
export async function relayChannel(request: Request, server: Server<unknown>, ownerSocket: string): Promise<Response | undefined> {
  // The broker headers only: the handshake's own are the new socket's, and nothing else counts there.
  const headers: Record<string, string> = {};
  for (const name of [BROKER_AUTH_HEADER, FROM_HEADER]) {
    const value = request.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  // Bun's WebSocket takes headers (and a Unix socket path in ws+unix://path:/route); the DOM type knows neither.
  const owner = new WebSocket(`ws+unix://${ownerSocket}:${CHANNEL}`, { headers } as unknown as string[]);
  owner.binaryType = "arraybuffer";
  const opened = await new Promise<true | number>((resolve) => {
    const timer = setTimeout(() => resolve(504), CLUSTER_LIMITS.peerTimeoutMs.value);
    const settle = (outcome: true | number): void => {
      clearTimeout(timer);
      resolve(outcome);
    };
    owner.onopen = () => settle(true);
    owner.onerror = (event) => settle(refusalStatus(event));
    owner.onclose = () => settle(0);
  });
  if (opened !== true) {
    owner.onclose = null;
    owner.close();
    return refusal(opened);
  }
  if ((server as Server<RelayData>).upgrade(request, { data: { owner, held: [] } })) return undefined;
  owner.close();
  return Response.json({ error: "INVALID_REQUEST", message: `${CHANNEL} takes a WebSocket upgrade only` }, { status: 400 });
}

/** The channels this thread relays now. */
const relayed = new Set<ServerWebSocket<RelayData>>();

/**
 * Closes every channel this thread relays (going away): the broker is stopping. Said
 * here, in this thread's words, rather than left to the thread's end, which a follower
 * would see as "Server closed" or a cut.
 */
export function closeRelayedChannels(): void {
  for (const ws of [...relayed]) ws.close(GOING_AWAY, "the broker is stopping");
}

/** The worker's WebSocket handler: the follower's end of a relayed channel. */
export const relayWebsocket: WebSocketHandler<RelayData> = {
  // As the owner's own end takes them (replica-channel.ts): calls are a few hundred bytes.
  maxPayloadLength: REPLICATION_LIMITS.channelCallMaxBytes.value,
  backpressureLimit: CHANNEL_BACKSTOP_BYTES,
  closeOnBackpressureLimit: true,
  perMessageDeflate: false,
  open(ws) {
    relayed.add(ws);
    const { owner } = ws.data;
    owner.onmessage = (event: MessageEvent<ArrayBuffer | string>) => sendOrHold(ws, ws.data.held, event.data, (frame) => ws.send(frame));
    owner.onclose = (event) => closeFollower(ws, event.code, event.reason);
    owner.onerror = null;
    // The owner's end closed between its opening and this one (the broker stopping).
    if (owner.readyState !== WebSocket.OPEN) closeFollower(ws, GOING_AWAY, "");
  },
  // Passed on unread, text frames too: the owner closes a channel that carries one (1003).
  message(ws, message) {
    if (ws.data.owner.readyState === WebSocket.OPEN) ws.data.owner.send(message);
  },
  drain(ws) {
    releaseHeld(ws, ws.data.held, (frame) => ws.send(frame));
  },
  close(ws) {
    relayed.delete(ws);
    const { owner } = ws.data;
    owner.onclose = null;
    owner.onmessage = null;
    ws.data.held.length = 0;
    // The owner then ends the fetches waiting for this follower (its close handler).
    owner.close();
  },
};

/** The follower's end closed as the owner's did (a code that may be sent), or as going away. */
function closeFollower(ws: ServerWebSocket<RelayData>, code: number, reason: string): void {
  ws.close(NOT_SENT.has(code) ? GOING_AWAY : code, NOT_SENT.has(code) ? "the broker closed the replication channel" : reason);
}

/**
 * The status the owner refused the upgrade with. Bun's WebSocket reports it only in its
 * error's words ("Expected 101 status code: 401"); words it does not recognise are 0,
 * answered 503, which the follower takes as "no channel here" and fetches over HTTP for
 * a while.
 */
function refusalStatus(event: Event): number {
  const match = /status code: (\d{3})/.exec((event as ErrorEvent).message ?? "");
  return match === null ? 0 : Number(match[1]);
}

/** The owner's refusal as an answer of this thread's: the owner's status where it is one of an error code, its words lost on the way. */
function refusal(status: number): Response {
  const error =
    status === 401
      ? new StreamNestError("UNAUTHORIZED", `internal routes need a call signed by a broker of this cluster (${BROKER_AUTH_HEADER}), fresh and for this broker`)
      : status === 403
        ? new StreamNestError("FORBIDDEN", "the replication channel's upgrade was refused as signed by a broker not allowed here")
        : status === 504
          ? new StreamNestError("REQUEST_TIMED_OUT", "the broker's owner thread did not answer the replication channel's upgrade in time")
          : new StreamNestError("LEADER_UNAVAILABLE", `the broker's owner thread did not take the replication channel's upgrade${status > 0 ? ` (${status})` : ""}`);
  return Response.json(error.toJSON(), { status: error.status });
}
