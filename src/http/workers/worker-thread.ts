/**
 * An HTTP worker thread of a broker started with --workers above 1 (see http-workers.ts).
 * It listens on the broker's port beside the owner thread (SO_REUSEPORT: the kernel
 * spreads connections over the sockets), parses the plain single-message reads and
 * produces itself and hands the owner only the core call, and passes every other request
 * on as it came to the owner's private socket (see passOn). It opens no log and writes
 * no file: the owner stays the one writer of every partition.
 */
import type { Server } from "bun";
import http from "node:http";
import { Readable } from "node:stream";
import { browserRefusal } from "../browser-guard.ts";
import { crossOriginProblem, isSafeMethod } from "../cross-origin.ts";
import { boundAddress, hostCheck } from "../host-check.ts";
import { guardConsole } from "../../lib/log-text.ts";
import { withAbsoluteUrl } from "../short-host.ts";
import { answerResponse, internalErrorResponse } from "./answer-response.ts";
import { closeRelayedChannels, isChannelUpgrade, relayChannel, relayWebsocket } from "./channel-relay.ts";
import { mayBeBatch, plainConsume, plainProduce } from "./fast-requests.ts";
import type { Answer, Call, ConsumeCall, OwnerToWorker, ProduceCall, WorkerStart, WorkerTls, WorkerToOwner } from "./worker-messages.ts";

declare const self: Worker;

// This thread's own console, guarded as the broker thread's is (lib/log-text.ts).
guardConsole();

/** A produce body bigger than this is passed on unparsed (a single message that big gains nothing here). */
const PLAIN_BODY_MAX = 1024 * 1024;
/**
 * A passed-on body up to this size is read whole and sent in one write; a larger one is
 * piped, so that large bodies are not each held here beside the owner's copy (ten 30 MB
 * bodies at once were 300 MB more in this thread).
 */
const WHOLE_BODY_MAX = 1024 * 1024;
/** Most bytes of a passed-on stream handed to the client in one chunk. */
const PULL_BYTES = 16 * 1024;

let start: WorkerStart | undefined;
/** The Host check of a broker listening on loopback only (host-check.ts); undefined otherwise. */
let hostProblem: ((url: string) => string | undefined) | undefined;
let server: Server<unknown> | undefined;
let nextId = 0;
let served = 0;
let reported = 0;
const waiting = new Map<number, (answer: Answer) => void>();
let outbox: Call[] = [];

function send(message: WorkerToOwner): void {
  self.postMessage(message);
}

/** One message per turn of the event loop, carrying every call of that turn. */
function call(c: Omit<ConsumeCall, "i"> | Omit<ProduceCall, "i">): Promise<Answer> {
  const i = nextId++;
  if (outbox.length === 0) setImmediate(flush);
  outbox.push({ ...c, i } as Call);
  return new Promise((resolve) => waiting.set(i, resolve));
}

function flush(): void {
  const calls = outbox;
  outbox = [];
  send({ type: "calls", calls });
}

async function handle(sent: Request, srv: Server<unknown>): Promise<Response | undefined> {
  served++;
  const hostless = sent.url;
  // Refusals read the URL as sent; the path is read from an absolute one (short-host.ts).
  const request = withAbsoluteUrl(sent);
  const url = request.url;
  // As the owner's door refuses them (browser-guard.ts), before any body is read or any
  // call made. A GET's Host is read from its URL: its Headers are not built here.
  const method = request.method;
  const refused = hostProblem?.(hostless) ?? (isSafeMethod(method) ? undefined : crossOriginProblem(method, hostless, request.headers));
  if (refused !== undefined) return browserRefusal(refused);
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  const queryStart = url.indexOf("?", pathStart);
  const path = queryStart < 0 ? url.slice(pathStart) : url.slice(pathStart, queryStart);
  if (path === "/consume" && request.method === "GET" && queryStart >= 0) {
    const ask = plainConsume(url.slice(queryStart));
    if (ask) return answerResponse(await call({ a: request.headers.get("authorization"), t: ask.topic, p: ask.partition, o: ask.offset }));
  } else if (path === "/produce" && request.method === "POST") {
    const length = Number(request.headers.get("content-length") ?? NaN);
    if (length > 0 && length <= PLAIN_BODY_MAX && length <= (start?.maxBodyBytes ?? 0) && request.headers.get("content-encoding") === null) {
      const body = new Uint8Array(await request.arrayBuffer());
      const ask = mayBeBatch(body) ? undefined : plainProduce(body);
      if (ask) return answerResponse(await call({ a: request.headers.get("authorization"), t: ask.topic, p: ask.partition, k: ask.key, v: ask.value, c: ask.acks }));
      return passOn(request, srv, path, queryStart < 0 ? "" : url.slice(queryStart), body);
    }
  }
  const search = queryStart < 0 ? "" : url.slice(queryStart);
  // The replication channel, served by the owner, reached through this thread (channel-relay.ts).
  if (start !== undefined && isChannelUpgrade(request, path, search)) return relayChannel(request, srv, start.ownerSocket);
  return passOn(request, srv, path, search, undefined);
}

/** To the owner's socket; node:http, not fetch, whose calls Bun caps at 256 at once per process (see cluster/peer-http.ts). */
const ownerAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
/** Hop-by-hop headers, of the request and of the owner's answer: each connection frames its own. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"]);

/**
 * The request as it came, to the owner's socket; the answer back as it leaves there.
 * A body of a declared length up to WHOLE_BODY_MAX, and an answer of a declared length,
 * are moved whole (piping them through a stream here cost more CPU than the owner spent
 * answering a 1,000-record read). A larger body, or one of unknown length, goes on as a
 * stream (the owner answers 413 before reading past its limit), and so does an answer
 * of unknown length: server-sent events, chunked long polls. How long an answer takes
 * is the owner's business, so this connection's idle timer is lifted for it, as the
 * owner lifts its own for a long poll or a stream. Hundreds of such answers may be open
 * at once (parked readers), each holding one connection to the owner.
 */
async function passOn(request: Request, srv: Server<unknown>, path: string, search: string, read: Uint8Array | undefined): Promise<Response> {
  srv.timeout(request, 0);
  let body: Uint8Array | ReadableStream<Uint8Array> | null | undefined;
  if (request.method !== "GET" && request.method !== "HEAD") {
    const length = Number(request.headers.get("content-length") ?? NaN);
    body = read ?? (length >= 0 && length <= WHOLE_BODY_MAX ? new Uint8Array(await request.arrayBuffer()) : request.body);
  }
  // Hop-by-hop headers stay on the client's connection (RFC 9110 §7.6.1): a client's
  // "connection: close" passed on made the owner close a pooled socket that the agent
  // then reused, and the call failed with ECONNRESET (a 500 to the client).
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name)) headers[name] = value;
  });
  // The owner's socket is plain HTTP: the scheme the client used goes with the request,
  // so that the app's Origin check (cross-origin.ts) compares an https page with https.
  headers["x-forwarded-proto"] ??= request.url.startsWith("https:") ? "https" : "http";
  return new Promise<Response>((resolve, reject) => {
    const call = http.request({ socketPath: start?.ownerSocket, path: `${path}${search}`, method: request.method, headers, agent: ownerAgent }, (answer) => {
      const out = new Headers();
      for (let i = 0; i < answer.rawHeaders.length; i += 2)
        if (!HOP_BY_HOP.has(answer.rawHeaders[i].toLowerCase())) out.append(answer.rawHeaders[i], answer.rawHeaders[i + 1]);
      const init = { status: answer.statusCode ?? 502, statusText: answer.statusMessage, headers: out };
      // A HEAD's Content-Length names the body GET would send; Bun keeps the header given.
      if (request.method === "HEAD") {
        answer.resume();
        resolve(new Response(null, init));
        return;
      }
      if (answer.headers["content-length"] === undefined) {
        resolve(new Response(pulled(answer), init));
        return;
      }
      const chunks: Buffer[] = [];
      answer.on("data", (chunk: Buffer) => chunks.push(chunk));
      answer.on("end", () => resolve(new Response(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), init)));
      answer.on("error", reject);
    });
    call.on("error", reject);
    // The client went away: so does the call, and the owner sees its request aborted.
    request.signal.addEventListener("abort", () => call.destroy(), { once: true });
    if (body instanceof ReadableStream) {
      // A client that leaves mid-body fails this stream: the call to the owner ends with it.
      // Unheard, the error killed the worker thread, and after two such clients the port
      // was dead (a tester's half-sent POSTs of a declared 3 MB body).
      const sent = Readable.fromWeb(body as Parameters<typeof Readable.fromWeb>[0]);
      sent.on("error", (error) => call.destroy(error));
      sent.pipe(call);
    } else call.end(body ?? undefined);
  });
}

/**
 * An answer of unknown length (a stream, a long poll) as the client reads it: the next
 * chunk is taken from the owner's socket only when the client's connection asks for one
 * (highWaterMark 0, as the owner's own streams are pulled: sse.ts). So a reader that
 * stalls stalls the owner's stream too, which then ends it as it would on its own port
 * (--sse-stall-ms), and nothing piles up here. Readable.toWeb read ahead of the client:
 * 200 stalled live tails of a 10 MB batch grew the broker by 330 MB.
 */
function pulled(answer: http.IncomingMessage): ReadableStream<Uint8Array> {
  let ended = false;
  let failed: Error | undefined;
  let waiter: (() => void) | undefined;
  const wake = (): void => {
    const resolve = waiter;
    waiter = undefined;
    resolve?.();
  };
  answer.on("readable", wake);
  answer.on("end", () => {
    ended = true;
    wake();
  });
  answer.on("error", (error) => {
    failed = error;
    wake();
  });
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          // Whatever has arrived, in one chunk: one write to the client for many reads of the socket.
          const parts: Buffer[] = [];
          let size = 0;
          for (let part: Buffer | null; size < PULL_BYTES && (part = answer.read() as Buffer | null) !== null; size += part.length) parts.push(part);
          if (size > 0) return controller.enqueue(parts.length === 1 ? parts[0] : Buffer.concat(parts, size));
          if (failed !== undefined) throw failed;
          if (ended) return controller.close();
          await new Promise<void>((resolve) => (waiter = resolve));
        }
      },
      cancel() {
        answer.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}

function listen(s: WorkerStart): void {
  start = s;
  hostProblem = hostCheck(s.host, s.names, () => boundAddress(server), s.namesBeyondLoopback);
  server = serve(s, s.tls);
  // The per-thread request count, for the broker's metrics; only when it moved.
  setInterval(() => {
    if (served === reported) return;
    reported = served;
    send({ type: "served", requests: served });
  }, 250).unref();
  send({ type: "listening" });
}

/**
 * New TLS material (SIGHUP): a new socket on the port with it (SO_REUSEPORT lets both be
 * bound a moment), then the old one stops taking connections and finishes those open.
 * A failure keeps the old one listening, as the owner does.
 */
function reloadTls(tls: WorkerTls, n: number): void {
  const old = server;
  if (start === undefined || old === undefined) return;
  try {
    server = serve(start, tls);
  } catch (error) {
    send({ type: "reload-failed", n, message: error instanceof Error ? error.message : String(error) });
    return;
  }
  start = { ...start, tls };
  // Exchanges in progress finish on it; the owner ends this thread on close, and them with it.
  void old.stop(false);
  send({ type: "reloaded", n });
}

function serve(s: WorkerStart, tls: WorkerTls | undefined): Server<unknown> {
  return Bun.serve({
    ...(tls !== undefined ? { tls } : {}),
    hostname: s.host,
    port: s.port,
    reusePort: true,
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    idleTimeout: s.idleTimeoutS,
    development: false,
    fetch: handle,
    websocket: relayWebsocket,
    // Only the owner's socket failing gets here (the owner answers every other error).
    error(error) {
      console.error(`HTTP worker ${s.thread}: ${error.stack ?? error.message}`);
      return internalErrorResponse();
    },
  });
}

self.onmessage = (event: MessageEvent<OwnerToWorker>) => {
  const message = event.data;
  if (message.type === "answers") {
    for (const answer of message.answers) {
      const resolve = waiting.get(answer.i);
      waiting.delete(answer.i);
      resolve?.(answer);
    }
  } else if (message.type === "start") {
    try {
      listen(message);
    } catch (error) {
      send({ type: "failed", message: error instanceof Error ? error.message : String(error) });
    }
  } else if (message.type === "tls") {
    reloadTls(message.tls, message.n);
  } else if (message.type === "stop") {
    // Stops taking connections; those open finish their answers (the owner ends long
    // polls and streams as it closes), then the owner ends this thread. Replication
    // channels end now: a follower keeps its channel open for as long as it is let.
    closeRelayedChannels();
    void server?.stop(false);
  }
};
