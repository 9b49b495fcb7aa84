import type { Broker } from "../../broker/broker.ts";
import { readOrPastEnd } from "../consume.ts";
import { errorAnswer } from "../errors.ts";
import { messageText } from "../record-json.ts";
import type { RequestCounter } from "../respond.ts";
import { type Answer, type Call, type ConsumeCall, isProduceCall, type ProduceCall } from "./worker-messages.ts";

/**
 * The owner's half of a worker's plain GET /consume and POST /produce: the same core
 * calls, the same metadata barrier, the same request counting and the same error
 * mapping as the routes (consume.ts, produce.ts, metadata-barrier.ts, app.ts), so that
 * which thread took the connection changes nothing in the answer. The append happens
 * here, on the one thread that writes the partition, and is answered only once it is
 * written (and replicated, per acks), exactly as the route answers.
 */
export class OwnerCalls {
  constructor(
    private readonly broker: Broker,
    private readonly requests: RequestCounter,
    private readonly logError: (message: string) => void,
  ) {}

  /** Answers every call; the promise never rejects. */
  answer(call: Call): Promise<Answer> | Answer {
    const produce = isProduceCall(call);
    try {
      const barrier = this.broker.hasTopic(call.t) ? undefined : this.broker.catchUpMetadata();
      const run = (): Promise<Answer> => (produce ? this.produce(call) : this.consume(call));
      return (barrier ? barrier.then(run) : run()).catch((error: unknown) => this.failed(call, produce, error));
    } catch (error) {
      return this.failed(call, produce, error);
    }
  }

  private async consume(call: ConsumeCall): Promise<Answer> {
    const result = await readOrPastEnd(this.broker, { topic: call.t, partition: call.p, offset: call.o, maxRecords: 1, timeoutMs: 0 });
    const record = result?.records[0];
    if (record === undefined) {
      this.requests.count("GET", "/consume", 204);
      return { i: call.i, s: 204 };
    }
    this.requests.count("GET", "/consume", 200);
    return { i: call.i, s: 200, o: record.offset, m: messageText(record) };
  }

  private async produce(call: ProduceCall): Promise<Answer> {
    const record = call.p < 0 ? { key: call.k, value: call.v, headers: [] } : { key: call.k, value: call.v, headers: [], partition: call.p };
    const ack = await this.broker.produce(call.t, record);
    this.requests.count("POST", "/produce", 200);
    return { i: call.i, s: 200, o: ack.offset, p: ack.partition };
  }

  private failed(call: Call, produce: boolean, error: unknown): Answer {
    const method = produce ? "POST" : "GET";
    const route = produce ? "/produce" : "/consume";
    const answer = errorAnswer(error, undefined, method, route);
    if (answer.status === 500)
      this.logError(`${method} ${route}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    this.requests.count(method, route, answer.status);
    return { i: call.i, s: answer.status, b: JSON.stringify(answer.body) };
  }
}
