import type { Server } from "bun";
import type { AccessControl } from "../auth/access-control.ts";
import type { Broker } from "../broker/broker.ts";
import type { StreamNestApp } from "./app.ts";
import { errorAnswer } from "./errors.ts";
import { RequestCounter } from "./respond.ts";
import { answerResponse } from "./workers/answer-response.ts";
import { mayBeBatch, plainConsume, plainProduce } from "./workers/fast-requests.ts";
import { OwnerCalls } from "./workers/owner-calls.ts";
import type { Answer } from "./workers/worker-messages.ts";


/** What Bun.serve calls for each request of the broker's port. */
export type ServeFetch = (request: Request, server: Server<unknown>) => Response | Promise<Response>;

/** A ServeFetch that may upgrade a request to a WebSocket instead (undefined: upgraded, Bun answers it). */
export type SocketFetch = (request: Request, server: Server<unknown>) => Response | undefined | Promise<Response | undefined>;

/**
 * A single-message body larger than this goes through the app: the bytes saved by the
 * fast path are a small share of it, and a fallback would carry the whole body twice.
 */
const PLAIN_BODY_MAX = 64 * 1024;
const CONSUME = "/consume";
const PRODUCE = "/produce";


export interface FastPathOptions {
  access?: AccessControl;
  logError?: (message: string) => void;
}

/**
 * The broker thread's own door to its port (--workers=1): the plainest GET /consume and
 * single-message POST /produce, the requests a busy broker serves most, are answered
 * without the app's router, hooks, body stream and schema work, by the very calls a
 * worker thread hands this thread for the same requests (workers/fast-requests.ts picks
 * them, workers/owner-calls.ts answers them: the same token check, permissions,
 * metadata barrier, core call, request counting and error mapping as the routes).
 * Anything not plain (another field, a number written another way, a batch, a
 * tombstone, a body without a Content-Length or over the limit, a HEAD, a query on
 * /produce) goes to the app as it came, which answers it, errors included, as before.
 * Under wrk, the app's layers were most of a produce's CPU on this thread, and this
 * thread is the one that runs out of it first.
 */
export function ownerFastPath(app: StreamNestApp, broker: Broker, options: FastPathOptions = {}): ServeFetch {
  const requests = new RequestCounter(broker.metrics);
  const calls = new OwnerCalls(broker, requests, options.logError ?? ((m) => console.error(m)), options.access);
  const limit = Math.min(PLAIN_BODY_MAX, broker.config.maxBodyBytes);
  // Without token auth the header is not looked at: a read then never makes Bun build the request's Headers.
  const authorization = (request: Request): string | null => (calls.authenticates ? request.headers.get("authorization") : null);
  const produce = async (request: Request): Promise<Response> => {
    let body: Uint8Array;
    try {
      body = await request.bytes();
    } catch (error) {
      // The body could not be read (the client went away mid-body): answered as the
      // app's body parser failing is (errors.ts), though there is rarely anyone to read it.
      const answer = errorAnswer(error, "PARSE", "POST", PRODUCE);
      requests.count("POST", PRODUCE, answer.status);
      return Response.json(answer.body, { status: answer.status });
    }
    const ask = mayBeBatch(body) ? undefined : plainProduce(body);
    // The body is read: the app gets the same request with the bytes it carried.
    if (ask === undefined) return app.fetch(new Request(request.url, { method: "POST", headers: request.headers, body, signal: request.signal }));
    const answer = calls.answer({ i: 0, a: authorization(request), t: ask.topic, p: ask.partition, k: ask.key, v: ask.value, c: ask.acks });
    // Awaited, not returned: an async function that returns a promise adopts it in two
    // more turns of the microtask queue (ECMA-262's NewPromiseResolveThenableJob).
    return answerResponse(answer instanceof Promise ? await answer : answer);
  };
  return (request) => {
    const url = request.url;
    const pathStart = url.indexOf("/", url.indexOf("//") + 2);
    const method = request.method;
    if (method === "GET") {
      if (url.charCodeAt(pathStart + CONSUME.length) === 63 /* ? */ && url.startsWith(CONSUME, pathStart)) {
        const ask = plainConsume(url.slice(pathStart + CONSUME.length));
        if (ask !== undefined) return respond(calls.answer({ i: 0, a: authorization(request), t: ask.topic, p: ask.partition, o: ask.offset }));
      }
    } else if (method === "POST" && url.length === pathStart + PRODUCE.length && url.endsWith(PRODUCE)) {
      const declared = request.headers.get("content-length");
      const length = declared === null ? Number.NaN : Number(declared);
      // A compressed body is the app's to refuse (body.ts), whatever it holds.
      if (length > 0 && length <= limit && request.headers.get("content-encoding") === null) return produce(request);
    }
    return app.fetch(request);
  };
}

function respond(answer: Promise<Answer> | Answer): Response | Promise<Response> {
  return answer instanceof Promise ? answer.then(answerResponse) : answerResponse(answer);
}
