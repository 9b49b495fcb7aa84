import type { Server, WebSocketHandler } from "bun";
import { HTTP_LIMITS } from "../config/http.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { TlsMaterial } from "../lib/tls-material.ts";
import type { StreamNestApp } from "./app.ts";
import { guardedFetch } from "./browser-guard.ts";
import { boundAddress } from "./host-check.ts";
import type { ServeFetch, SocketFetch } from "./fast-path.ts";
import type { ChannelSocketData } from "./replica-channel.ts";

export interface ListenOptions {
  host: string;
  port: number;
  /** HTTPS with this certificate (and, with a CA, client certificates required). */
  tls?: TlsMaterial;
  /**
   * Share the port with the broker's HTTP worker threads (SO_REUSEPORT; the kernel
   * spreads connections over the sockets). Only with --workers above 1.
   */
  shared?: boolean;
  /** Other names the broker is reached by (its advertised host:port, --allowed-hosts): allowed as Host (host-check.ts). */
  names?: readonly string[];
  /** Check the Host's name beyond loopback too (no client authentication and no --allowed-hosts=*). */
  namesBeyondLoopback?: boolean;
  /** The sockets `fetch` upgrades (the replication channel, replica-channel.ts). */
  websocket?: WebSocketHandler<ChannelSocketData>;
}

/**
 * What Bun.serve calls: `fetch` behind the refusals of browsers' cross-origin and rebound
 * requests (browser-guard.ts). `server` gives the address the socket was bound to, which
 * decides whether the Host is checked (read at the first request, once it is bound).
 */
function guarded(fetch: SocketFetch, options: ListenOptions, server: () => Server<unknown> | undefined): SocketFetch {
  return guardedFetch(fetch, options.host, options.names ?? [], () => boundAddress(server()), options.namesBeyondLoopback === true);
}


/** A server that upgrades nothing still declares handlers (Bun's types tie a fetch that may upgrade to them). */
const NO_SOCKETS: WebSocketHandler<ChannelSocketData> = {
  message: (ws) => ws.close(1008, "this server takes no WebSocket"),
};

/**
 * Bun.serve's options for a broker. `reusePort` is off (Elysia turns it on) unless the
 * broker's own worker threads share the port: a second broker on a port that is taken
 * must fail loudly, not share the port (claimPort checks that first when it is shared).
 * Bun's own body limit is lifted because it answers 413 with an empty body; the app's parser enforces
 * the limit with a JSON error instead, without buffering the refused body.
 */
function serveOptions(options: ListenOptions) {
  return {
    hostname: options.host,
    port: options.port,
    reusePort: options.shared === true,
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    // Long polls and streams lift this per request (server.timeout(request, 0)).
    idleTimeout: HTTP_LIMITS.idleTimeoutS.value,
    development: false,
    ...(options.tls !== undefined ? { tls: bunTls(options.tls) } : {}),
    websocket: options.websocket ?? NO_SOCKETS,
  };
}

/**
 * Binds the app to a socket. `fetch` answers each request (default: the app); a door in
 * front of the app (fast-path.ts) passes it whatever it does not answer itself.
 */
export function listen(app: StreamNestApp, options: ListenOptions, fetch: SocketFetch = appFetch(app)): Server<unknown> {
  app.compile();
  let server: Server<unknown>;
  try {
    server = Bun.serve({ ...serveOptions(options), fetch: guarded(fetch, options, () => server) });
  } catch (error) {
    throw listenError(error, options);
  }
  // The app reads the server from here (server.timeout for long polls), as after app.listen.
  app.server = server;
  return server;
}

function appFetch(app: StreamNestApp): ServeFetch {
  return (request) => app.fetch(request);
}

/**
 * A socket bound before the app that will serve it exists: `--port=0` lets the system
 * pick the port, and the broker must know it (to advertise it) before it builds the
 * parts that name it. The port is held from the start, never released and bound
 * again. Nobody has been told the port before the app is attached, so a request that
 * arrives early anyway simply waits for it.
 */
export class EarlyListener {
  private readonly server: Server<unknown>;
  private settle: (fetch: SocketFetch | undefined) => void = () => {};
  /** What serves the requests that came early: the fetch given to serve() (the replication channel's door included), once given. */
  private readonly ready = new Promise<SocketFetch | undefined>((resolve) => (this.settle = resolve));
  private readonly options: ListenOptions;

  constructor(options: ListenOptions) {
    this.options = options;
    if (options.shared === true) claimPort(options);
    try {
      const early: SocketFetch = async (request, server) => {
        const fetch = await this.ready;
        return fetch ? fetch(request, server) : new Response(null, { status: 503 });
      };
      this.server = Bun.serve({ ...serveOptions(options), fetch: guarded(early, options, () => this.server) });
    } catch (error) {
      throw listenError(error, options);
    }
  }

  /** The port the system chose. */
  get port(): number {
    const port = this.server.port;
    if (port === undefined) throw new Error("the HTTP server has no port");
    return port;
  }

  /** Hands the socket to the app: it serves every request from now on, and those that waited. */
  serve(app: StreamNestApp, fetch: SocketFetch = appFetch(app), websocket?: WebSocketHandler<ChannelSocketData>): Server<unknown> {
    app.compile();
    // The app reads the server from here (server.timeout for long polls), as after app.listen.
    app.server = this.server;
    this.server.reload({ fetch: guarded(fetch, this.options, () => this.server), websocket: websocket ?? NO_SOCKETS });
    this.settle(fetch);
    return this.server;
  }

  /** Gives the port up when the broker fails to start: a request that waited is answered 503. */
  async close(): Promise<void> {
    this.settle(undefined);
    // New connections are refused at once; those answered 503 close as they finish.
    await Promise.race([this.server.stop(false), Bun.sleep(1000)]);
    await this.server.stop(true);
  }
}

/**
 * Bun.serve's TLS options. With a CA, every client must present a certificate it
 * signed (mutual TLS): the handshake fails without one, before any request is read.
 */
export function bunTls(tls: TlsMaterial) {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca !== undefined ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}),
  };
}

/**
 * Serves the app on the same port with new TLS material. Bun's `server.reload()` keeps
 * the certificate it started with (oven-sh/bun#43815), so the listening socket is
 * closed and bound again in the same turn of the event loop, where nothing else can
 * take the port; exchanges in progress finish on the old server, which `stop(false)`
 * leaves running until they end (the caller stops it for good on close).
 */
export function rebind(old: Server<unknown>, app: StreamNestApp, options: ListenOptions, fetch: SocketFetch = appFetch(app)): Server<unknown> {
  void old.stop(false);
  let server: Server<unknown>;
  try {
    server = Bun.serve({ ...serveOptions(options), fetch: guarded(fetch, options, () => server) });
  } catch (error) {
    throw listenError(error, options);
  }
  // The app reads the server from here (server.timeout for long polls), as after app.listen.
  app.server = server;
  return server;
}

/**
 * With SO_REUSEPORT any socket of the same user that sets it may bind the port too, so a
 * second broker started on a taken port would quietly share it. A plain bind first
 * fails on any socket already there (shared or not), naming the port as listen does.
 * Port 0 needs no check: the system hands out a port nobody holds.
 */
export function claimPort(options: ListenOptions): void {
  if (options.port === 0) return;
  try {
    Bun.listen({ hostname: options.host, port: options.port, socket: { data() {} } }).stop(true);
  } catch (error) {
    throw listenError(error, options);
  }
}

function listenError(error: unknown, options: ListenOptions): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === "EADDRINUSE")
    return new StreamNestError("INVALID_REQUEST", `port ${options.port} is already in use (on ${options.host})`);
  if (code === "EACCES")
    return new StreamNestError("INVALID_REQUEST", `not allowed to listen on port ${options.port} (on ${options.host})`);
  return error;
}
