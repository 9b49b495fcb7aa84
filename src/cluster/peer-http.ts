import http from "node:http";
import https from "node:https";
import { peerTrust, type TlsMaterial } from "../lib/tls-material.ts";

/**
 * One HTTP exchange with a peer, over node:http rather than fetch. Bun's fetch runs at
 * most 256 requests at once per process (BUN_CONFIG_MAX_HTTP_REQUESTS, read only when the
 * process starts) and queues the rest, while every forwarded long poll and live tail
 * holds one request to its leader for as long as its client waits: behind 256 parked
 * readers, every other call to any peer (a forwarded produce, a heartbeat) would queue
 * until it timed out. Bun's node:http has no such cap, and a keep-alive agent still
 * reuses connections between calls.
 */

export interface PeerExchangeRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | ArrayBuffer | null;
}

export interface PeerExchange {
  /** The answer's status and headers; rejects with the reason given to cancel() or the socket's error. */
  head: Promise<http.IncomingMessage>;
  /** Ends the exchange at any point, its socket included, so the peer sees its client leave. */
  cancel(reason: unknown): void;
  /** Why the exchange was cancelled, if it was. */
  readonly reason: unknown;
}

/** The error a body sees when the connection breaks before the answer is complete. */
export class ConnectionBroke extends Error {
  readonly code = "ECONNRESET";
  constructor() {
    super("the connection closed before the answer was complete");
  }
}

/**
 * The agent of every call to peers. With TLS, calls are HTTPS: the peer's certificate
 * is verified (see peerTrust) against the name it is dialled by, and this broker's own
 * certificate goes along as its client certificate, for peers that ask (--tls-ca).
 */
export function peerAgent(tls?: TlsMaterial): http.Agent {
  if (tls === undefined) return new http.Agent({ keepAlive: true, maxSockets: Infinity });
  return new https.Agent({ keepAlive: true, maxSockets: Infinity, ca: peerTrust(tls), cert: tls.cert, key: tls.key });
}

/** Closes the idle sockets of an agent that is being replaced; calls still running finish on theirs. */
export function retireAgent(agent: http.Agent): void {
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
}

/** Splits "host:port" (or "[v6]:port"); throws a TypeError for anything else, as fetch would. */
function target(address: string): { hostname: string; port: number } {
  const url = new URL(`http://${address}`);
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return { hostname, port: url.port === "" ? 80 : Number(url.port) };
}

export function exchange(agent: http.Agent, address: string, request: PeerExchangeRequest): PeerExchange {
  const { hostname, port } = target(address);
  const body = request.body instanceof ArrayBuffer ? new Uint8Array(request.body) : (request.body ?? undefined);
  const headers = { ...request.headers };
  if (body !== undefined) headers["content-length"] = String(typeof body === "string" ? Buffer.byteLength(body) : body.byteLength);
  let reason: unknown;
  let cancelled = false;
  const req = (agent instanceof https.Agent ? https : http).request({ hostname, port, method: request.method, path: request.path, headers, agent });
  const head = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once("response", resolve);
    // An error may come after the head too (the body breaks): each must be heard, or it would crash the process.
    req.on("error", (error) => reject(cancelled ? reason : error));
    // A request destroyed before any answer may close without an error event.
    req.once("close", () => reject(cancelled ? reason : new ConnectionBroke()));
  });
  req.end(body);
  return {
    head,
    get reason() {
      return reason;
    },
    cancel(why: unknown) {
      if (cancelled) return;
      cancelled = true;
      reason = why;
      req.destroy();
    },
  };
}

/** Reads a whole answer body as bytes (binary answers too); rejects as readText does. */
export async function readBytes(res: http.IncomingMessage, ex: PeerExchange): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    res.once("end", () => resolve(Buffer.concat(chunks)));
    res.on("error", (error) => reject(ex.reason ?? error));
    res.once("close", () => {
      if (!res.complete) reject(ex.reason ?? new ConnectionBroke());
    });
  });
}

/** Reads a whole answer body as text; rejects if the connection breaks or the exchange is cancelled first. */
export function readText(res: http.IncomingMessage, ex: PeerExchange): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    res.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.on("error", (error) => reject(ex.reason ?? error));
    res.once("close", () => {
      if (!res.complete) reject(ex.reason ?? new ConnectionBroke());
    });
  });
}

/**
 * The answer as a web Response whose body streams as the peer sends it, pausing the
 * socket while the reader falls behind; cancelling the body ends the exchange.
 */
export function toResponse(res: http.IncomingMessage, ex: PeerExchange, method: string): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const status = res.statusCode ?? 0;
  const bodyless = method === "HEAD" || status === 204 || status === 205 || status === 304;
  if (bodyless) res.on("error", () => undefined).resume();
  const body = bodyless
    ? null
    : new ReadableStream<Uint8Array>(
        {
          start(controller) {
            let done = false;
            res.on("data", (chunk: Buffer) => {
              if (done) return;
              controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
              if ((controller.desiredSize ?? 1) <= 0) res.pause();
            });
            res.once("end", () => {
              if (done) return;
              done = true;
              controller.close();
            });
            const fail = (error: unknown): void => {
              if (done) return;
              done = true;
              controller.error(ex.reason ?? error);
            };
            res.on("error", fail);
            res.once("close", () => {
              if (!res.complete) fail(new ConnectionBroke());
            });
          },
          pull() {
            res.resume();
          },
          cancel(reason) {
            ex.cancel(reason);
          },
        },
        { highWaterMark: 16 * 1024, size: (chunk) => chunk?.byteLength ?? 0 },
      );
  return new Response(body, { status, statusText: res.statusMessage, headers });
}
