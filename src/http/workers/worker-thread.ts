/**
 * An HTTP worker thread of a broker started with --workers above 1 (see http-workers.ts).
 * It listens on the broker's port beside the owner thread (SO_REUSEPORT: the kernel
 * spreads connections over the sockets), parses the plain single-message reads and
 * produces itself and hands the owner only the core call, and passes every other request
 * on as it came to the owner's private socket (see passOn). It opens no log and writes
 * no file: the owner stays the one writer of every partition.
 */
import type { Server } from "bun";
import { plainConsume, plainProduce } from "./fast-requests.ts";
import type { Answer, Call, ConsumeCall, OwnerToWorker, ProduceCall, WorkerStart, WorkerToOwner } from "./worker-messages.ts";

declare const self: Worker;

// As the owner's routes send them: jsonText (respond.ts) for answers, Response.json for errors.
const JSON_HEADERS = new Headers({ "content-type": "application/json" });
const ERROR_HEADERS = new Headers({ "content-type": "application/json;charset=utf-8" });
/** A produce body bigger than this is passed on unparsed (a single message that big gains nothing here). */
const PLAIN_BODY_MAX = 1024 * 1024;
const BATCH_FIELD = '"messages"';

let start: WorkerStart | undefined;
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

async function handle(request: Request, srv: Server<unknown>): Promise<Response> {
  served++;
  const url = request.url;
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  const queryStart = url.indexOf("?", pathStart);
  const path = queryStart < 0 ? url.slice(pathStart) : url.slice(pathStart, queryStart);
  if (path === "/consume" && request.method === "GET" && queryStart >= 0) {
    const ask = plainConsume(url.slice(queryStart));
    if (ask) return answered(await call({ t: ask.topic, p: ask.partition, o: ask.offset }));
  } else if (path === "/produce" && request.method === "POST") {
    const length = Number(request.headers.get("content-length") ?? NaN);
    if (length > 0 && length <= PLAIN_BODY_MAX && length <= (start?.maxBodyBytes ?? 0)) {
      const body = new Uint8Array(await request.arrayBuffer());
      // A batch is passed on unparsed: parsing it here would only be done again there.
      const ask = Buffer.from(body.buffer, body.byteOffset, body.byteLength).includes(BATCH_FIELD) ? undefined : plainProduce(body);
      if (ask) return answered(await call({ t: ask.topic, p: ask.partition, k: ask.key, v: ask.value }));
      return passOn(request, srv, path, queryStart < 0 ? "" : url.slice(queryStart), body);
    }
  }
  return passOn(request, srv, path, queryStart < 0 ? "" : url.slice(queryStart), undefined);
}

function answered(answer: Answer): Response {
  if (answer.s === 204) return new Response(null, { status: 204 });
  if (answer.s !== 200) return new Response(answer.b, { status: answer.s, headers: ERROR_HEADERS });
  if (answer.m !== undefined) return new Response(`{"offset":${answer.o},"message":${JSON.stringify(answer.m)}}`, { headers: JSON_HEADERS });
  return new Response(`{"offset":${answer.o},"partition":${answer.p}}`, { headers: JSON_HEADERS });
}

/**
 * The request as it came, to the owner's socket; the answer back as it leaves there.
 * A body of a declared length within the limit, and an answer of a declared length,
 * are moved whole (native copies; piping them through a stream here cost more CPU than
 * the owner spent answering a 1,000-record read). A body of unknown or refused length
 * goes on as a stream (the owner answers 413 before reading past its limit), and so
 * does an answer of unknown length: server-sent events, chunked long polls. How long an
 * answer takes is the owner's business, so this connection's idle timer is lifted for
 * it, as the owner lifts its own for a long poll or a stream.
 */
async function passOn(request: Request, srv: Server<unknown>, path: string, search: string, read: Uint8Array | undefined): Promise<Response> {
  srv.timeout(request, 0);
  let body: Uint8Array | ReadableStream<Uint8Array> | null | undefined;
  if (request.method !== "GET" && request.method !== "HEAD") {
    const length = Number(request.headers.get("content-length") ?? NaN);
    body = read ?? (length >= 0 && length <= (start?.maxBodyBytes ?? 0) ? new Uint8Array(await request.arrayBuffer()) : request.body);
  }
  const init: RequestInit & { unix: string; decompress: boolean } = {
    method: request.method,
    headers: request.headers,
    body,
    redirect: "manual",
    signal: request.signal,
    unix: start?.ownerSocket ?? "",
    decompress: false,
  };
  let answer: Response;
  try {
    answer = await fetch(`http://localhost${path}${search}`, init);
  } catch (error) {
    if (request.signal.aborted) return new Response(null, { status: 499 });
    throw error;
  }
  const answerInit = { status: answer.status, statusText: answer.statusText, headers: answer.headers };
  // A HEAD's Content-Length names the body GET would send; Bun keeps the header given.
  if (request.method === "HEAD" || answer.headers.get("content-length") === null) return new Response(answer.body, answerInit);
  return new Response(await answer.arrayBuffer(), answerInit);
}

function listen(s: WorkerStart): void {
  start = s;
  server = Bun.serve({
    hostname: s.host,
    port: s.port,
    reusePort: true,
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    idleTimeout: s.idleTimeoutS,
    development: false,
    fetch: handle,
    // Only the owner's socket failing gets here (the owner answers every other error).
    error(error) {
      console.error(`HTTP worker ${s.thread}: ${error.stack ?? error.message}`);
      return new Response(JSON.stringify({ error: "INTERNAL_ERROR", message: "internal error; see the broker's log" }), {
        status: 500,
        headers: ERROR_HEADERS,
      });
    },
  });
  // The per-thread request count, for the broker's metrics; only when it moved.
  setInterval(() => {
    if (served === reported) return;
    reported = served;
    send({ type: "served", requests: served });
  }, 250).unref();
  send({ type: "listening" });
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
  } else if (message.type === "stop") {
    // Stops taking connections; those open finish their answers (the owner ends long
    // polls and streams as it closes), then the owner ends this thread.
    void server?.stop(false);
  }
};
