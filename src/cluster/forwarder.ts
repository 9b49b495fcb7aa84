import type { BrokerRef } from "../broker/metadata.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { Membership } from "./membership.ts";
import { isNoAnswer, isTimeout, mayHaveArrived, type PeerClient, type PeerRequest } from "./peer-client.ts";

/**
 * Calls to the leader of a partition this broker does not lead. Every call goes over
 * the peer client's keep-alive connections under /internal/ (so it carries the cluster
 * secret), and every failure to reach the leader becomes LEADER_UNAVAILABLE naming the
 * leader and the partition, within the peer timeout (2 s) plus whatever time the caller
 * asked the leader to wait (a long poll), so a dead leader never makes a client hang.
 * A leader's own refusal (topic gone, offset out of range, schema violation) comes back
 * as the same error, as the leader gave it.
 */

export interface LeaderCall {
  method: "GET" | "POST";
  /** Internal path and query, e.g. "/internal/partitions/produce". */
  path: string;
  body?: string;
  /** The client's abort: when it goes away, so does the call to the leader. */
  signal?: AbortSignal;
  /** Time the leader may legitimately take beyond the timeout (a long poll). */
  waitMs?: number;
  /** Named in errors, e.g. `partition 2 of topic "demo"`. */
  what: string;
  /** How `what` relates to the broker, in errors; default "is led by". */
  role?: string;
}

export interface ForwarderOptions {
  membership: Membership;
  client: PeerClient;
}

export class Forwarder {
  constructor(private readonly options: ForwarderOptions) {}

  /** Sends the call and resolves with the leader's answer once its headers arrive (a stream stays open). */
  send(leader: BrokerRef, call: LeaderCall): Promise<Response> {
    return this.guard(leader, call, (address, request) => this.options.client.send(address, request));
  }

  /** Sends the call and reads its JSON answer; the leader's error answer is rethrown as is. */
  json<T>(leader: BrokerRef, call: LeaderCall): Promise<T> {
    return this.guard(leader, call, (address, request) => this.options.client.json<T>(address, request));
  }

  private async guard<T>(
    leader: BrokerRef,
    call: LeaderCall,
    run: (address: string, request: PeerRequest) => Promise<T>,
  ): Promise<T> {
    const { membership, client } = this.options;
    const address = membership.dialAddressOf(leader.id) ?? leader.address;
    const named = `broker ${leader.id} (${membership.addressOf(leader.id) ?? leader.address})`;
    try {
      return await run(address, {
        method: call.method,
        path: call.path,
        headers: call.body === undefined ? undefined : { "content-type": "application/json" },
        body: call.body,
        signal: call.signal,
        timeoutMs: client.timeoutMs + Math.max(0, call.waitMs ?? 0),
        label: `${call.what} ${call.role ?? "is led by"} ${named}, which`,
      });
    } catch (error) {
      // Only a call that got no answer counts against the leader's liveness: one it
      // answered with LEADER_UNAVAILABLE (taking up leadership, offline there) shows it up.
      if (error instanceof StreamNestError && error.code === "LEADER_UNAVAILABLE" && isNoAnswer(error)) {
        membership.markUnreachable(leader.id, error.message);
        throw new StreamNestError("LEADER_UNAVAILABLE", error.message, {
          leader: leader.id,
          broker: membership.addressOf(leader.id) ?? leader.address,
          ...(isTimeout(error) ? { timedOut: true } : mayHaveArrived(error) ? { interrupted: true } : {}),
        });
      }
      throw error;
    }
  }
}
