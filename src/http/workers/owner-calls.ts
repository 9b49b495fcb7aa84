import type { AccessControl } from "../../auth/access-control.ts";
import type { Broker } from "../../broker/broker.ts";
import type { FetchResult, ProduceRecord } from "../../broker/types.ts";
import { StreamNestError } from "../../lib/errors.ts";
import { BEARER_CHALLENGE } from "../client-auth.ts";
import { pastEndOf, readOrPastEnd } from "../consume.ts";
import { withoutDataDir } from "../data-dir-paths.ts";
import { errorAnswer } from "../errors.ts";
import { messageText } from "../record-json.ts";
import type { RequestCounter } from "../respond.ts";
import { type RouteRule, routeRule } from "../route-permissions.ts";
import { type Answer, type Call, type ConsumeCall, isProduceCall, type ProduceCall } from "./worker-messages.ts";

/**
 * The owner's half of a worker's plain GET /consume and POST /produce: the same core
 * calls, the same metadata barrier, the same request counting and the same error
 * mapping as the routes (consume.ts, produce.ts, metadata-barrier.ts, app.ts), so that
 * which thread took the connection changes nothing in the answer. The append happens
 * here, on the one thread that writes the partition, and is answered only once it is
 * written (and replicated, per acks), exactly as the route answers. With --auth=token
 * the call carries the request's Authorization header and is checked here first, by the
 * same AccessControl and the same route rule (route-permissions.ts) as the app's guard
 * (client-auth.ts), in the same order: 401 before 403 before the metadata barrier. A
 * worker thread never decides who may do what.
 */
// The routes' own rules (route-permissions.ts), found once rather than per call.
const PRODUCE_RULE: RouteRule = routeRule("POST", "/produce");
const CONSUME_RULE: RouteRule = routeRule("GET", "/consume");
/** A plain produce carries no headers; the core never adds to a record's list. */
const NO_HEADERS: ProduceRecord["headers"] = [];

export class OwnerCalls {
  private readonly produced: () => void;
  private readonly read: () => void;
  private readonly pastEnd: () => void;

  constructor(
    private readonly broker: Broker,
    private readonly requests: RequestCounter,
    private readonly logError: (message: string) => void,
    private readonly access?: AccessControl,
  ) {
    this.produced = requests.counterOf("POST", "/produce", 200);
    this.read = requests.counterOf("GET", "/consume", 200);
    this.pastEnd = requests.counterOf("GET", "/consume", 204);
  }

  /** Whether a call's Authorization header is read (--auth=token); else it may be left out (null). */
  get authenticates(): boolean {
    return this.access !== undefined && this.access.enabled;
  }

  /** Answers every call; the promise never rejects. */
  answer(call: Call): Promise<Answer> | Answer {
    const produce = isProduceCall(call);
    try {
      const refused = this.refused(call, produce);
      if (refused !== undefined) return refused;
      const barrier = this.broker.hasTopic(call.t) ? undefined : this.broker.catchUpMetadata();
      if (barrier === undefined && !produce) {
        const now = this.consumeNow(call);
        if (now !== undefined) return now;
      }
      // Without a barrier, a produce's one promise answers success and failure alike: each
      // promise more is an allocation and a turn of the microtask queue per request.
      if (barrier === undefined && produce) return this.produce(call);
      const run = (): Promise<Answer> => (produce ? this.produce(call) : this.consume(call));
      return (barrier ? barrier.then(run) : run()).catch((error: unknown) => this.failed(call, produce, error));
    } catch (error) {
      return this.failed(call, produce, error);
    }
  }

  /** The guard's answer to a call it refuses (client-auth.ts); undefined: allowed. */
  private refused(call: Call, produce: boolean): Answer | undefined {
    const access = this.access;
    if (access === undefined || !access.enabled) return undefined;
    let principal;
    try {
      principal = access.authenticate(call.a);
    } catch (error) {
      if (!(error instanceof StreamNestError)) throw error;
      this.requests.count(produce ? "POST" : "GET", "unauthenticated", error.status);
      return { i: call.i, s: error.status, b: JSON.stringify(error.toJSON()), w: BEARER_CHALLENGE };
    }
    if (PRODUCE_RULE === "filtered" || CONSUME_RULE === "filtered") throw new StreamNestError("INTERNAL_ERROR", "a fast-path route needs a permission");
    const needs = produce
      ? PRODUCE_RULE({ body: { topic: call.t }, params: {}, query: {} })
      : CONSUME_RULE({ body: undefined, params: {}, query: { topic: call.t } });
    for (const need of needs) access.check(principal, need.operation, ...need.resources);
    return undefined;
  }

  /**
   * The read answered in this step when the core can make it without waiting
   * (Broker.fetchNow), as readOrPastEnd answers it with no wait: an offset past the end
   * is "nothing there (yet)". Undefined: the read needs consume (the log is not open,
   * the partition is led elsewhere, its high watermark is still being learned).
   */
  private consumeNow(call: ConsumeCall): Answer | undefined {
    let result: FetchResult | undefined;
    try {
      result = this.broker.fetchNow({ topic: call.t, partition: call.p, offset: call.o, maxRecords: 1, timeoutMs: 0 });
    } catch (error) {
      pastEndOf(error, call.o);
      return this.consumed(call, undefined);
    }
    return result === undefined ? undefined : this.consumed(call, result);
  }

  private async consume(call: ConsumeCall): Promise<Answer> {
    return this.consumed(call, await readOrPastEnd(this.broker, { topic: call.t, partition: call.p, offset: call.o, maxRecords: 1, timeoutMs: 0 }));
  }

  private consumed(call: ConsumeCall, result: FetchResult | undefined): Answer {
    const record = result?.records[0];
    if (record === undefined) {
      this.pastEnd();
      return { i: call.i, s: 204 };
    }
    this.read();
    return { i: call.i, s: 200, o: record.offset, m: messageText(record) };
  }

  /** The answer to a produce; never rejects (a failure is answered as failed() maps it). */
  private produce(call: ProduceCall): Promise<Answer> {
    const record: ProduceRecord = { key: call.k, value: call.v, headers: NO_HEADERS };
    if (call.p >= 0) record.partition = call.p;
    if (call.c !== undefined) record.acks = call.c;
    return this.broker.produce(call.t, record).then(
      (ack): Answer => {
        this.produced();
        return { i: call.i, s: 200, o: ack.offset, p: ack.partition };
      },
      (error: unknown) => this.failed(call, true, error),
    );
  }

  private failed(call: Call, produce: boolean, error: unknown): Answer {
    const method = produce ? "POST" : "GET";
    const route = produce ? "/produce" : "/consume";
    const answer = errorAnswer(error, undefined, method, route);
    if (answer.status === 500)
      this.logError(`${method} ${route}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    this.requests.count(method, route, answer.status);
    // As the app's error handler: a client is not shown where the broker keeps its data.
    if (typeof answer.body.message === "string") answer.body.message = withoutDataDir(answer.body.message, this.broker.config.dataDir);
    return { i: call.i, s: answer.status, b: JSON.stringify(answer.body) };
  }
}
