import type { Socket } from "node:net";
import type { Principal } from "../auth/principal.ts";
import { KAFKA_LIMITS } from "../config/kafka.ts";
import { KAFKA_BUFFERS } from "./buffer-pool.ts";
import { ConnectionAuth } from "./connection-auth.ts";
import type { ConnectionInfo, RequestSignals } from "./context.ts";
import { errorMessage } from "./error-map.ts";
import { FrameSplitter } from "./protocol/index.ts";

/**
 * Kafka's sasl.server.max.receive.size: until a connection has authenticated, a frame
 * larger than a SASL token could ever be is refused, so an unauthenticated client cannot
 * make the broker buffer a 100 MiB request.
 */
export const UNAUTHENTICATED_MAX_FRAME_BYTES = 524_288;

/** Answers one frame: the bytes to write, null for no answer (acks=0), "close" to drop the connection. */
export type FrameHandler = (frame: Uint8Array, conn: ConnectionInfo, signals: RequestSignals) => Promise<Uint8Array | null | "close">;

/**
 * One client connection. Requests are taken one at a time, in the order they came,
 * as a Kafka broker does (its network processor mutes a channel while one of its
 * requests is in flight), and answers go out in that order however long a handler
 * takes, so an idempotent producer's pipelined batches are applied in sequence order.
 * One exception goes past Kafka: an acks=all Produce whose records are appended and
 * that only waits for its replicas says so (RequestSignals.appended), and the next
 * request is taken meanwhile, up to KAFKA_LIMITS.maxProducesAwaitingReplicas of them.
 * Appends stay in request order (the next one starts after the previous is written);
 * only the waits for replicas overlap, so a producer with several requests in flight is
 * not held to one replication round trip per request.
 *
 * Backpressure: the next request is not taken until the previous answer has been
 * written to the socket (a client that never reads its answers stops being served),
 * and once KAFKA_LIMITS.maxQueuedRequests frames (or maxQueuedRequestBytes) wait the socket is paused, so its
 * unread requests stay in the kernel's buffers and in the client, not in the broker.
 *
 * Fairness: after KAFKA_LIMITS.requestsPerTurn requests in a row, a connection lets the
 * event loop turn before its next one, so a client that pipelines cheap requests (answered
 * without waiting for anything) cannot hold every other client, and the broker's
 * heartbeats, behind its queue.
 */
export class KafkaConnection implements ConnectionInfo {
  readonly clientHost: string;
  readonly auth: ConnectionAuth;
  private endWhy: string | undefined;
  private readonly splitter: FrameSplitter;
  private readonly queue: Uint8Array[] = [];
  /** Bytes of the frames in `queue`. */
  private queuedBytes = 0;
  private readonly abort = new AbortController();
  private pumping = false;
  private readonly maxRequestBytes: number;
  private paused = false;
  /** Settles once every answer handed to deliver so far is written (and drained). */
  private delivered: Promise<void> = Promise.resolve();
  /** The deliveries of requests taken ahead while waiting for their replicas, oldest first. */
  private readonly awaitingReplicas: Promise<void>[] = [];

  constructor(
    private readonly socket: Socket,
    maxRequestBytes: number,
    private readonly handle: FrameHandler,
    private readonly log: (line: string) => void,
    authRequired = false,
    /** The principal of the client certificate the TLS handshake verified (--tls-ca), if any. */
    certificate?: Principal,
  ) {
    this.clientHost = socket.remoteAddress ?? "";
    this.auth = new ConnectionAuth(authRequired, certificate);
    this.splitter = new FrameSplitter(
      this.auth.authenticated ? maxRequestBytes : Math.min(maxRequestBytes, UNAUTHENTICATED_MAX_FRAME_BYTES),
      (length) => KAFKA_BUFFERS.take(length),
    );
    this.maxRequestBytes = maxRequestBytes;
    socket.setNoDelay(true);
    socket.setTimeout(KAFKA_LIMITS.idleTimeoutMs.value, () => this.close(`idle for ${KAFKA_LIMITS.idleTimeoutMs.value} ms`));
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => this.abort.abort());
    socket.on("close", () => this.abort.abort());
  }

  get closed(): AbortSignal {
    return this.abort.signal;
  }

  get name(): string {
    return `${this.socket.remoteAddress ?? "?"}:${this.socket.remotePort ?? "?"}`;
  }

  endAfterAnswer(why: string): void {
    this.endWhy ??= why;
  }

  /** Ends the connection with a log line saying why. */
  close(why: string): void {
    if (this.abort.signal.aborted) return;
    this.log(`kafka: closing connection from ${this.name}: ${why}`);
    this.abort.abort();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let frames: Uint8Array[];
    try {
      // The Buffer as it is (a Uint8Array): a view made through chunk.buffer measured
      // 3 to 36 ms per MiB of a Produce request against 0.6 for the chunk itself.
      frames = this.splitter.push(chunk);
    } catch (error) {
      this.close(errorMessage(error));
      return;
    }
    for (const f of frames) {
      this.queue.push(f);
      this.queuedBytes += f.length;
    }
    if (!this.paused && (this.queue.length >= KAFKA_LIMITS.maxQueuedRequests.value || this.queuedBytes >= KAFKA_LIMITS.maxQueuedRequestBytes.value)) {
      this.paused = true;
      this.socket.pause();
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    let inTurn = 0;
    try {
      while (this.queue.length > 0 && !this.abort.signal.aborted) {
        if (++inTurn > KAFKA_LIMITS.requestsPerTurn.value) {
          inTurn = 1;
          await nextTurn();
          if (this.queue.length === 0 || this.abort.signal.aborted) break;
        }
        const frame = this.queue.shift() as Uint8Array;
        this.queuedBytes -= frame.length;
        if (this.paused && this.queue.length < KAFKA_LIMITS.maxQueuedRequests.value / 2 && this.queuedBytes < KAFKA_LIMITS.maxQueuedRequestBytes.value / 2) {
          this.paused = false;
          this.socket.resume();
        }
        // What this request's handler says of it, and of no other request.
        let reusable = false;
        let release!: () => void;
        const released = new Promise<"appended">((resolve) => (release = () => resolve("appended")));
        const signals: RequestSignals = { frameDone: () => (reusable = true), appended: () => release() };
        const answered = this.handle(frame, this, signals);
        const first = await Promise.race([answered, released]);
        const ahead = first === "appended";
        if (ahead) {
          // Its frame was done with before it said appended (see handlers/produce.ts).
          if (reusable) KAFKA_BUFFERS.give(frame);
        }
        // Chained: answers go out in order, also across a pump that stopped (an empty
        // queue) and a later frame that started it again.
        const delivery = this.delivered
          .then(() => this.deliver(answered, ahead ? undefined : () => reusable && KAFKA_BUFFERS.give(frame)))
          .catch((error: unknown) => this.close(`internal error: ${errorMessage(error)}`));
        this.delivered = delivery;
        if (ahead) {
          this.awaitingReplicas.push(delivery);
          void delivery.finally(() => this.awaitingReplicas.shift());
          // Full: the next request waits for the oldest answer (deliveries settle in order).
          if (this.awaitingReplicas.length >= KAFKA_LIMITS.maxProducesAwaitingReplicas.value) await this.awaitingReplicas[0];
        } else await delivery;
        if (this.auth.authenticated) this.splitter.maxFrameBytes = this.maxRequestBytes;
      }
    } catch (error) {
      this.close(`internal error: ${errorMessage(error)}`);
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Writes one answer once it is ready, after every earlier one (the caller chains the
   * calls). `done`: the request's frame may be reused, called once its answer is made.
   */
  private async deliver(answered: Promise<Uint8Array | null | "close">, done?: () => void): Promise<void> {
    let answer: Uint8Array | null | "close";
    try {
      answer = await answered;
    } catch (error) {
      answer = "close";
      this.log(`kafka: internal error answering ${this.name}: ${errorMessage(error)}`);
    }
    done?.();
    if (this.abort.signal.aborted) return;
    if (answer === "close") {
      this.close("the request could not be answered (see above)");
      return;
    }
    // A pooled answer (a Fetch's) goes back once the socket has written it all, not before:
    // write may keep the buffer until then. After a failed write it is left to the collector.
    if (answer !== null && !this.socket.write(answer, (error) => error == null && KAFKA_BUFFERS.give(answer)))
      await this.drained();
    if (this.endWhy !== undefined && !this.abort.signal.aborted) {
      // end() rather than destroy(): the refusal just written must reach the client.
      this.log(`kafka: closing connection from ${this.name}: ${this.endWhy}`);
      this.abort.abort();
      this.socket.end();
    }
  }

  /** Resolves once the socket's buffer has gone out, or the connection closed. */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off("drain", done);
        this.abort.signal.removeEventListener("abort", done);
        resolve();
      };
      this.socket.on("drain", done);
      this.abort.signal.addEventListener("abort", done);
    });
  }
}

/** Resolves after the event loop has polled for I/O once (setImmediate runs after the poll phase). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
