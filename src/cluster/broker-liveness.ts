/**
 * Broker registration, heartbeats and fencing through the metadata quorum (KIP-631's
 * BrokerRegistration and BrokerHeartbeat, KIP-500): every broker, voter or observer,
 * registers with an incarnation (its process start time, so a restarted broker always
 * registers a later one) and heartbeats to the quorum leader. The leader records a
 * registration in the log when a broker is new, restarted or back from being fenced,
 * and fences in the log a broker it has not heard from for the session timeout; a
 * leader just elected first waits one session timeout, as it has heard from nobody yet.
 * Requests from an incarnation older than the registered one are refused
 * (STALE_BROKER_EPOCH): that process was replaced.
 */
import type { BrokerRef, MetadataChange } from "../broker/metadata.ts";
import { StreamNestError } from "../lib/errors.ts";

export interface BrokerHeartbeat {
  id: number;
  address: string;
  incarnation: number;
}

export interface BrokerLivenessOptions {
  self: BrokerHeartbeat;
  sessionTimeoutMs: number;
  intervalMs: number;
  /** The brokers as the applied metadata records them. */
  registered: () => readonly BrokerRef[];
  /** Whether this broker leads the quorum now, and since when. */
  leadingSince: () => number | null;
  /** Commits a change as the leader. */
  commit: (change: MetadataChange) => Promise<unknown>;
  /** Sends this broker's heartbeat to the leader (or handles it here when leading). */
  sendHeartbeat: (beat: BrokerHeartbeat) => Promise<unknown>;
  log?: (line: string) => void;
}

export class BrokerLiveness {
  private readonly lastHeard = new Map<number, number>();
  private readonly inFlight = new Set<number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private sending = false;

  constructor(private readonly options: BrokerLivenessOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref?.();
    this.tick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** On the leader: a broker's heartbeat. Registers it in the log when needed. */
  receive(beat: BrokerHeartbeat): { registered: boolean } {
    this.assertCurrent(beat.id, beat.incarnation);
    this.lastHeard.set(beat.id, Date.now());
    const current = this.options.registered().find((b) => b.id === beat.id);
    const registered = current?.incarnation === beat.incarnation && current.fenced === false && current.address === beat.address;
    if (!registered) this.commitOnce(beat.id, { type: "register-broker", broker: beat });
    return { registered };
  }

  /** Refuses a request from an incarnation the quorum has replaced. */
  assertCurrent(id: number, incarnation: number | undefined): void {
    if (incarnation === undefined) return;
    const current = this.options.registered().find((b) => b.id === id);
    if (current?.incarnation !== undefined && incarnation < current.incarnation)
      throw new StreamNestError(
        "STALE_BROKER_EPOCH",
        `broker ${id} incarnation ${incarnation} was replaced by incarnation ${current.incarnation}; this process must restart`,
        { incarnation: current.incarnation },
      );
  }

  private tick(): void {
    if (!this.sending) {
      this.sending = true;
      void this.options
        .sendHeartbeat(this.options.self)
        .catch(() => undefined)
        .finally(() => {
          this.sending = false;
        });
    }
    this.fenceSilent();
  }

  private fenceSilent(): void {
    const since = this.options.leadingSince();
    if (since === null) {
      this.lastHeard.clear();
      return;
    }
    const now = Date.now();
    const timeout = this.options.sessionTimeoutMs;
    if (now - since < timeout) return;
    for (const broker of this.options.registered()) {
      if (broker.fenced !== false || broker.incarnation === undefined || broker.id === this.options.self.id) continue;
      const heard = this.lastHeard.get(broker.id) ?? since;
      if (now - heard < timeout) continue;
      this.options.log?.(`Fencing broker ${broker.id}: no heartbeat for ${now - heard} ms (session timeout ${timeout} ms)`);
      this.commitOnce(broker.id, { type: "fence-broker", id: broker.id, incarnation: broker.incarnation });
    }
  }

  private commitOnce(id: number, change: MetadataChange): void {
    if (this.inFlight.has(id)) return;
    this.inFlight.add(id);
    void this.options
      .commit(change)
      .catch(() => undefined)
      .finally(() => this.inFlight.delete(id));
  }
}
