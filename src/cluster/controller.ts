import { INTERNAL_ROUTES } from "../lib/internal-routes.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { Membership } from "./membership.ts";
import type { MetadataSync } from "./metadata-sync.ts";
import { METADATA_PATH } from "./metadata-sync.ts";
import { isTimeout, type PeerClient } from "./peer-client.ts";
import type { VersionedState } from "./shared-state.ts";

/**
 * Orders metadata changes (topic create and delete, schema registration) through one
 * broker, the controller (the lowest alive id), as Kafka's controller does for topic
 * changes (KIP-500 describes the same role over a log). Whichever broker receives a
 * change hands it to the controller; the controller runs changes one at a time, so of two
 * concurrent creates of one topic exactly one is the create and the other sees the topic
 * existing. Each applied change gets the next version from the store, is persisted by it,
 * then pushed to every peer before the caller is answered, so what the caller sees next on
 * any live broker already includes it.
 *
 * The controller makes a change only while a majority of the brokers is alive, and only
 * once it holds the newest metadata any alive broker reports. A broker left on its own
 * (the others down or cut off) therefore refuses changes instead of numbering its own
 * version N while the others number a different one: two histories under one number
 * would otherwise meet later, and one side's topics would silently vanish.
 */

export const CONTROLLER_PATH = INTERNAL_ROUTES.controller;

export interface ControllerOptions<C, R, S extends { version: number }> {
  membership: Membership;
  client: PeerClient;
  state: VersionedState<S>;
  sync: MetadataSync<S>;
  /** Validates and applies one change on this broker (the store gives it the next version). */
  apply: (change: C) => Promise<R> | R;
  /** Checks a change received from another broker (throws INVALID_REQUEST if malformed). */
  parseChange: (value: unknown) => C;
  log?: (line: string) => void;
}

/** What the controller answers a forwarded change with. */
export interface ControllerAnswer<R, S> {
  result: R;
  metadata: S;
}

export class Controller<C, R, S extends { version: number }> {
  /** Changes run one after another: the tail of the queue. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ControllerOptions<C, R, S>) {}

  /** Runs `change` through the controller, wherever it is, and answers its result. */
  async submit(change: C): Promise<R> {
    const { membership } = this.options;
    await membership.ready();
    const tried = new Set<number>();
    let lastError: StreamNestError | undefined;
    // Each round either succeeds, fails for the caller's reason, or rules out one
    // unreachable controller; with every candidate tried, the last failure is the answer.
    for (let round = 0; round <= membership.brokerIds().length; round++) {
      const controllerId = membership.controllerId();
      if (controllerId === membership.self.id) return this.runAsController(change);
      if (tried.has(controllerId)) break;
      try {
        return await this.sendToController(controllerId, change);
      } catch (error) {
        if (!(error instanceof StreamNestError)) throw error;
        lastError = error;
        if (isTimeout(error))
          // It may have taken the change and still be working on it: another controller
          // taking it too would number two changes alike, so the caller hears the doubt.
          throw new StreamNestError("LEADER_UNAVAILABLE", `${error.message}; the change may still be made`, error.details);
        // The controller refused for want of a majority: trying elsewhere cannot help.
        if (error.code === "NOT_CONTROLLER" && isQuorumRefusal(error)) throw error;
        if (error.code === "LEADER_UNAVAILABLE") {
          tried.add(controllerId);
          membership.markUnreachable(controllerId, error.message);
        } else if (error.code === "NOT_CONTROLLER") {
          tried.add(controllerId);
          await membership.heartbeatRound();
        } else {
          throw error;
        }
      }
    }
    throw new StreamNestError(
      "NOT_CONTROLLER",
      `no controller could take the change${lastError ? `: ${lastError.message}` : ""}`,
      lastError?.details,
    );
  }

  private async sendToController(controllerId: number, change: C): Promise<R> {
    const { membership, client, state, sync } = this.options;
    const address = membership.dialAddressOf(controllerId);
    if (address === undefined)
      throw new StreamNestError("LEADER_UNAVAILABLE", `the controller, broker ${controllerId}, has no known address`);
    const answer = await client.json<ControllerAnswer<R, unknown>>(address, {
      method: "POST",
      path: CONTROLLER_PATH,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ change }),
      label: `the controller, ${membership.describe(controllerId)}`,
    });
    // The push to us may have been lost; the answer carries the metadata it produced.
    await sync.adopt(state.parse(answer.metadata), membership.describe(controllerId));
    return answer.result;
  }

  /** Handles POST /internal/controller: a change another broker received. */
  async receive(body: unknown): Promise<ControllerAnswer<R, S>> {
    const { membership, state, parseChange } = this.options;
    if (body === null || typeof body !== "object" || !("change" in body))
      throw new StreamNestError("INVALID_REQUEST", "expected {\"change\": …}");
    const change = parseChange(body.change);
    // The sender found the broker we think controls unreachable; check before refusing.
    if (!membership.isController()) await membership.heartbeatRound();
    if (!membership.isController())
      throw new StreamNestError(
        "NOT_CONTROLLER",
        `broker ${membership.self.id} is not the controller; ${membership.describe(membership.controllerId())} is`,
        { controller: membership.controllerId() },
      );
    const result = await this.runAsController(change);
    return { result, metadata: state.snapshot() };
  }

  private runAsController(change: C): Promise<R> {
    const run = this.queue.then(() => this.applyAndPush(change));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async applyAndPush(change: C): Promise<R> {
    const { state } = this.options;
    await this.assertMajority();
    await this.assertNewest();
    const before = state.version();
    try {
      return await this.options.apply(change);
    } finally {
      // apply may have made a change before it failed (e.g. recording a new broker).
      if (state.version() !== before) await this.pushToPeers();
    }
  }

  /**
   * Refuses the change unless a majority of the brokers is alive right now: the ones
   * counted alive are asked first (one that died a moment ago would receive nothing),
   * and if too few answer, every broker is asked once more.
   */
  private async assertMajority(): Promise<void> {
    const { membership } = this.options;
    await membership.confirmAlive();
    let quorum = membership.quorum();
    if (quorum.alive >= quorum.needed) return;
    await membership.heartbeatRound();
    quorum = membership.quorum();
    if (quorum.alive >= quorum.needed) return;
    throw new StreamNestError(
      "NOT_CONTROLLER",
      `only ${quorum.alive} of the cluster's ${quorum.brokers} brokers can be reached (down: ${quorum.down.join(", ")}); ` +
        `creating or deleting topics and registering schemas needs a majority (${quorum.needed}) up, so that brokers cut off from each other never make conflicting changes`,
      { alive: quorum.alive, brokers: quorum.brokers, needed: quorum.needed },
    );
  }

  /**
   * A broker that just became controller may hold older metadata than an alive peer;
   * numbering a change from there would reuse a version, so it first catches up, and
   * refuses if it cannot.
   */
  private async assertNewest(): Promise<void> {
    const { membership, state, sync } = this.options;
    const newest = membership.newestAliveVersion();
    if (newest <= state.version()) return;
    await sync.catchUp();
    if (state.version() >= newest) return;
    throw new StreamNestError(
      "NOT_CONTROLLER",
      `the controller, broker ${membership.self.id}, holds metadata version ${state.version()} but a peer reports version ${newest}, which it could not fetch yet; retry`,
    );
  }

  /**
   * Sends the current snapshot to every peer that may be up, at once. One counted dead
   * is skipped (a frozen one would hold every change up for the peer timeout); it pulls
   * what it missed when it is back.
   */
  async pushToPeers(): Promise<void> {
    const { membership, client, state } = this.options;
    const body = JSON.stringify(state.snapshot());
    await Promise.all(
      membership.hopefulPeerDialAddresses().map(async (address) => {
        try {
          await client.json<unknown>(address, {
            method: "POST",
            path: METADATA_PATH,
            headers: { "content-type": "application/json" },
            body,
          });
        } catch (error) {
          this.options.log?.(
            `Could not push metadata version ${state.version()} to ${address}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }),
    );
  }
}

/** True for the controller's refusal for want of a majority (it carries the counts). */
function isQuorumRefusal(error: StreamNestError): boolean {
  const details = error.details as { needed?: unknown } | undefined;
  return typeof details?.needed === "number";
}
