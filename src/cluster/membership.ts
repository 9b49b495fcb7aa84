import type { BrokerRef } from "../broker/metadata.ts";
import { INTERNAL_ROUTES } from "../lib/internal-routes.ts";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { StreamNestError } from "../lib/errors.ts";
import { type PeerClient, UNTRUSTED_HINT } from "./peer-client.ts";
import { CLUSTER_LIMITS } from "../config/cluster.ts";

/**
 * Who is in the cluster and who is alive. A broker starts knowing only its peers'
 * addresses (--peers); each heartbeat exchange tells both sides the other's id,
 * advertised address and metadata version, plus every member the other knows, so a
 * broker that joins from another machine with --peers naming one member is soon known
 * to all. A member is alive while heartbeats (in either direction) keep arriving.
 * Liveness here only steers calls (forwarding, placement hints, /cluster): who may
 * change metadata is the quorum's business (metadata-quorum.ts), never decided here.
 *
 * Learned ids are persisted, so a broker restarted while a peer is down still knows that
 * peer's id, and placement stays the round-robin over every configured broker.
 */

export const HEARTBEAT_PATH = INTERNAL_ROUTES.heartbeat;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = CLUSTER_LIMITS.heartbeatIntervalMs.value;
export const DEFAULT_DEAD_AFTER_MS = CLUSTER_LIMITS.deadAfterMs.value;

/** The heartbeat body, the same in both directions. */
export interface Heartbeat extends BrokerRef {
  metadataVersion: number;
  members: BrokerRef[];
  /** The sender's Kafka advertised host:port, when it has a Kafka listener (Metadata names it to Kafka clients). */
  kafka?: string;
  /**
   * Its advertised host:port per Kafka listener name (KIP-103): a client connected to a
   * listener is told every broker's address for that name. Absent: one listener, `kafka`.
   */
  kafkaListeners?: Record<string, string>;
}

export interface MemberView {
  /** Undefined until the peer has answered once. */
  id: number | undefined;
  address: string;
  /** The address this broker dials (the --peers entry, or the advertised one if learned). */
  dialAddress: string;
  self: boolean;
  alive: boolean;
  /** Last metadata version the member reported (this broker's own for self). */
  metadataVersion: number | undefined;
  /** Milliseconds since the last heartbeat from or to it; undefined if never. */
  lastHeartbeatAgoMs: number | undefined;
}

export interface MembershipOptions {
  self: BrokerRef;
  /** Dial addresses from --peers (host:port). */
  peers: string[];
  client: PeerClient;
  /** This broker's metadata version, sent in every heartbeat. */
  metadataVersion: () => number;
  /** Called when the set of known ids or anyone's liveness changes. */
  onChange?: () => void;
  /** Where learned ids are kept across restarts. */
  statePath?: string;
  heartbeatIntervalMs?: number;
  deadAfterMs?: number;
  log?: (line: string) => void;
  now?: () => number;
}

interface Member {
  id: number | undefined;
  address: string;
  dialAddress: string;
  lastSeen: number;
  metadataVersion: number | undefined;
  inFlight: Promise<void> | undefined;
  /** Last logged liveness, to log transitions only. */
  reportedAlive: boolean | undefined;
  /** Said once while it is down: what answers at its address is no broker of this cluster. */
  reportedUnsigned?: boolean;
  /** Said once: its TLS certificate is not accepted here (a configuration error, not a timing one). */
  reportedUntrusted?: boolean;
  /** Its Kafka advertised address, as its last heartbeat said. */
  kafka?: string;
  /** Its Kafka advertised address per listener name, as its last heartbeat said. */
  kafkaListeners?: Map<string, string>;
  /** Dialled at a --peers address: the operator's word for how to reach it. */
  configured: boolean;
}

interface PersistedMembers {
  members: Array<{ id: number; address: string; dialAddress: string }>;
}

export class Membership {
  readonly self: BrokerRef;
  private readonly members: Member[] = [];
  private readonly interval: number;
  private readonly deadAfter: number;
  private readonly now: () => number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private firstRound: Promise<void> | undefined;
  private lastPersisted = "";
  /** This broker's Kafka advertised address, sent in every heartbeat once its listener is up. */
  kafkaAddress: string | undefined;
  /** Its address per Kafka listener name, with several listeners. */
  kafkaListeners: Record<string, string> | undefined;

  constructor(private readonly options: MembershipOptions) {
    this.self = options.self;
    this.interval = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.deadAfter = options.deadAfterMs ?? DEFAULT_DEAD_AFTER_MS;
    this.now = options.now ?? Date.now;
    for (const peer of options.peers) {
      const dialAddress = normalizeAddress(peer);
      if (dialAddress === normalizeAddress(this.self.address)) continue;
      if (this.members.some((m) => m.dialAddress === dialAddress)) continue;
      this.members.push(newMember(undefined, dialAddress, dialAddress, true));
    }
    this.loadPersisted();
  }

  /** Starts heartbeating; the first round starts at once. */
  start(): void {
    if (this.timer) return;
    this.firstRound = this.heartbeatRound();
    this.timer = setInterval(() => void this.heartbeatRound(), this.interval);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Resolves once every peer has answered or failed one heartbeat (bounded by the peer timeout). */
  ready(): Promise<void> {
    return this.firstRound ?? this.heartbeatRound();
  }

  /** True while some configured peer has never answered, so its id is unknown. */
  hasUnknownPeers(): boolean {
    return this.members.some((m) => m.id === undefined);
  }

  /** One heartbeat to every other member, in parallel. */
  async heartbeatRound(): Promise<void> {
    await Promise.all(this.members.map((m) => this.heartbeatTo(m)));
  }

  /** A heartbeat already on its way to `member` is shared, not doubled. */
  private heartbeatTo(member: Member): Promise<void> {
    if (member.inFlight) return member.inFlight;
    const beat = this.exchange(member).finally(() => {
      member.inFlight = undefined;
    });
    member.inFlight = beat;
    return beat;
  }

  private async exchange(member: Member): Promise<void> {
    try {
      const answer = await this.options.client.json<Heartbeat>(member.dialAddress, {
        method: "POST",
        path: HEARTBEAT_PATH,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(this.heartbeat()),
        label: describe(member),
      });
      if (!isHeartbeat(answer)) throw new StreamNestError("INTERNAL_ERROR", `${describe(member)} sent a malformed heartbeat`);
      if (this.isSelf(answer)) {
        // A --peers entry that names this broker under another name (127.0.0.1 for localhost).
        const at = this.members.indexOf(member);
        if (at >= 0) this.members.splice(at, 1);
        this.options.log?.(`Peer ${member.dialAddress} is this broker itself; leaving it out`);
        this.persist();
        this.options.onChange?.();
        return;
      }
      this.absorb(answer, member);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      if (member.lastSeen !== 0 || member.reportedAlive === undefined) {
        member.lastSeen = 0;
        this.noteLiveness(member, why);
      } else if (isUnsignedAnswer(error) && !member.reportedUnsigned) {
        // Already down (say, refused while it died), and now something else answers on its
        // port: possibly a process squatting it. Worth one line of its own to an operator.
        this.options.log?.(`Broker ${member.id ?? "?"} at ${member.address} is still down: ${why}`);
      }
      if (isUnsignedAnswer(error)) member.reportedUnsigned = true;
      // A first failure is not logged (peers start at their own pace), but a certificate
      // refused now is refused at every try: said at once, once.
      if (why.includes(UNTRUSTED_HINT) && member.reportedUntrusted !== true) {
        member.reportedUntrusted = true;
        this.options.log?.(why);
      }
    }
  }

  /** Handles a heartbeat another broker sent; the answer is this broker's heartbeat. */
  receiveHeartbeat(heartbeat: Heartbeat): Heartbeat {
    if (!isHeartbeat(heartbeat)) throw new StreamNestError("INVALID_REQUEST", "malformed heartbeat");
    if (heartbeat.id === this.self.id && normalizeAddress(heartbeat.address) !== normalizeAddress(this.self.address))
      throw new StreamNestError(
        "INVALID_REQUEST",
        `broker id ${heartbeat.id} is already taken by ${this.self.address}; give ${heartbeat.address} another --id`,
      );
    // Our own heartbeat, come back through a --peers entry naming this broker: not a member.
    if (!this.isSelf(heartbeat)) this.absorb(heartbeat, undefined);
    return this.heartbeat();
  }

  private isSelf(heartbeat: Heartbeat): boolean {
    return heartbeat.id === this.self.id && normalizeAddress(heartbeat.address) === normalizeAddress(this.self.address);
  }

  heartbeat(): Heartbeat {
    return {
      id: this.self.id,
      address: this.self.address,
      metadataVersion: this.options.metadataVersion(),
      members: this.knownIdentities(),
      ...(this.kafkaAddress === undefined ? {} : { kafka: this.kafkaAddress }),
      ...(this.kafkaListeners === undefined ? {} : { kafkaListeners: this.kafkaListeners }),
    };
  }

  /** Records what a heartbeat says: the sender is alive, has this id and version, knows these members. */
  private absorb(heartbeat: Heartbeat, dialed: Member | undefined): void {
    const sender = this.identify(heartbeat.id, normalizeAddress(heartbeat.address), dialed);
    sender.lastSeen = this.now();
    sender.metadataVersion = heartbeat.metadataVersion;
    sender.kafka = typeof heartbeat.kafka === "string" && heartbeat.kafka !== "" ? heartbeat.kafka : undefined;
    sender.kafkaListeners = listenerAddresses(heartbeat.kafkaListeners);
    this.noteLiveness(sender);
    for (const other of heartbeat.members) {
      if (!isIdentity(other) || other.id === this.self.id) continue;
      if (this.members.some((m) => m.id === other.id)) continue;
      this.identify(other.id, normalizeAddress(other.address), undefined);
    }
    this.persist();
  }

  /** Finds or creates the member with this id, merging a record known only by address. */
  private identify(id: number, address: string, dialed: Member | undefined): Member {
    // An answer can arrive from a record merged away while the call was in flight (the
    // same broker dialled at once under its --peers address and under the address another
    // broker told of): that record names nothing any more.
    const live = dialed !== undefined && this.members.includes(dialed) ? dialed : undefined;
    const byId = this.members.find((m) => m.id === id);
    const byAddress =
      live ?? this.members.find((m) => m.id === undefined && (m.dialAddress === address || m.address === address));
    let member: Member;
    if (byId && byAddress && byId !== byAddress) {
      // The same broker known twice (a learned id and a configured address): keep the
      // record dialled at the --peers address and drop the other. Dialling around the
      // configured address would also go around whatever the operator put there (a
      // proxy, a tunnel; the tests' fault proxies), and a broker cut off by it would
      // still be reached: an isolated quorum leader once replicated through such a
      // learned address and a change it answered as unknown survived the heal.
      const [keep, drop] = byId.configured && !byAddress.configured ? [byId, byAddress] : [byAddress, byId];
      keep.id = id;
      keep.lastSeen = Math.max(keep.lastSeen, drop.lastSeen);
      this.members.splice(this.members.indexOf(drop), 1);
      member = keep;
    } else {
      member = byId ?? byAddress ?? this.add(newMember(id, address, address));
    }
    const changed = member.id !== id || member.address !== address;
    member.id = id;
    member.address = address;
    if (changed) this.options.onChange?.();
    return member;
  }

  private add(member: Member): Member {
    this.members.push(member);
    this.options.log?.(`Learned of broker ${member.id ?? "?"} at ${member.address}`);
    return member;
  }

  private noteLiveness(member: Member, reason?: string): void {
    const alive = this.isMemberAlive(member);
    if (member.reportedAlive === alive) return;
    const first = member.reportedAlive === undefined;
    member.reportedAlive = alive;
    if (alive) member.reportedUnsigned = false;
    if (alive) this.options.log?.(`Broker ${member.id ?? "?"} at ${member.address} is alive`);
    else if (!first) this.options.log?.(`Broker ${member.id ?? "?"} at ${member.address} is unreachable${reason ? `: ${reason}` : ""}`);
    this.options.onChange?.();
  }

  /** A failed call to a member counts as a missed heartbeat: it is dead until it answers again. */
  markUnreachable(id: number, reason?: string): void {
    const member = this.members.find((m) => m.id === id);
    if (!member || member.lastSeen === 0) return;
    member.lastSeen = 0;
    this.noteLiveness(member, reason);
  }

  private isMemberAlive(member: Member): boolean {
    return member.lastSeen > 0 && this.now() - member.lastSeen <= this.deadAfter;
  }

  isAlive(id: number): boolean {
    if (id === this.self.id) return true;
    const member = this.members.find((m) => m.id === id);
    return member !== undefined && this.isMemberAlive(member);
  }

  /** Every broker id known (alive or not), this one included, ascending. */
  brokerIds(): number[] {
    const ids = new Set<number>([this.self.id]);
    for (const m of this.members) if (m.id !== undefined) ids.add(m.id);
    return [...ids].sort((a, b) => a - b);
  }

  /** The ids of the brokers at --peers addresses, as they answered (the operator named them). */
  configuredPeerIds(): number[] {
    return this.members.flatMap((m) => (m.configured && m.id !== undefined ? [m.id] : []));
  }

  /** Every known broker with its advertised address, ascending by id. */
  knownIdentities(): BrokerRef[] {
    const list: BrokerRef[] = [this.self];
    for (const m of this.members) if (m.id !== undefined) list.push({ id: m.id, address: m.address });
    return list.sort((a, b) => a.id - b.id);
  }

  /**
   * The Kafka address broker `id` advertised in its last heartbeat (this broker's own for
   * self): for `listener` when it has a listener of that name, else its first one (a
   * broker with one listener, or from before listener names).
   */
  kafkaAddressOf(id: number, listener?: string): string | undefined {
    if (id === this.self.id) return (listener !== undefined ? this.kafkaListeners?.[listener] : undefined) ?? this.kafkaAddress;
    const member = this.members.find((m) => m.id === id);
    return (listener !== undefined ? member?.kafkaListeners?.get(listener) : undefined) ?? member?.kafka;
  }

  /** The address clients use for broker `id`. */
  addressOf(id: number): string | undefined {
    if (id === this.self.id) return this.self.address;
    return this.members.find((m) => m.id === id)?.address;
  }

  /** The address this broker dials to reach broker `id`. */
  dialAddressOf(id: number): string | undefined {
    if (id === this.self.id) return this.self.address;
    return this.members.find((m) => m.id === id)?.dialAddress;
  }

  /** Dial addresses of every other member, alive or not. */
  peerDialAddresses(): string[] {
    return this.members.map((m) => m.dialAddress);
  }

  view(): MemberView[] {
    const now = this.now();
    const views: MemberView[] = [
      {
        id: this.self.id,
        address: this.self.address,
        dialAddress: this.self.address,
        self: true,
        alive: true,
        metadataVersion: this.options.metadataVersion(),
        lastHeartbeatAgoMs: 0,
      },
      ...this.members.map((m) => ({
        id: m.id,
        address: m.address,
        dialAddress: m.dialAddress,
        self: false,
        alive: this.isMemberAlive(m),
        metadataVersion: m.metadataVersion,
        lastHeartbeatAgoMs: m.lastSeen > 0 ? now - m.lastSeen : undefined,
      })),
    ];
    return views.sort((a, b) => (a.id ?? Number.MAX_SAFE_INTEGER) - (b.id ?? Number.MAX_SAFE_INTEGER));
  }

  private loadPersisted(): void {
    const path = this.options.statePath;
    if (path === undefined) return;
    let saved: PersistedMembers;
    try {
      saved = JSON.parse(readFileSync(path, "utf8")) as PersistedMembers;
    } catch {
      return; // first start, or an unreadable file: heartbeats will relearn everything
    }
    if (!Array.isArray(saved.members)) return;
    for (const entry of saved.members) {
      if (!isIdentity(entry) || typeof entry.dialAddress !== "string" || entry.id === this.self.id) continue;
      const configured = this.members.find((m) => m.dialAddress === entry.dialAddress);
      if (configured) {
        configured.id = entry.id;
        configured.address = entry.address;
      } else if (!this.members.some((m) => m.id === entry.id)) {
        this.members.push(newMember(entry.id, entry.address, entry.dialAddress));
      }
    }
    this.lastPersisted = this.serialize();
  }

  private serialize(): string {
    const members = this.members
      .filter((m): m is Member & { id: number } => m.id !== undefined)
      .map((m) => ({ id: m.id, address: m.address, dialAddress: m.dialAddress }))
      .sort((a, b) => a.id - b.id);
    return `${JSON.stringify({ members } satisfies PersistedMembers, null, 2)}\n`;
  }

  /** Write + rename, so a crash leaves the old file or the new one, never half of one. */
  private persist(): void {
    const path = this.options.statePath;
    if (path === undefined) return;
    const text = this.serialize();
    if (text === this.lastPersisted) return;
    try {
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.tmp`;
      writeFileSync(tmp, text);
      renameSync(tmp, path);
      this.lastPersisted = text;
    } catch (error) {
      this.options.log?.(`Could not save cluster members to ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function newMember(id: number | undefined, address: string, dialAddress: string, configured = false): Member {
  return { id, address, dialAddress, lastSeen: 0, metadataVersion: undefined, inFlight: undefined, reportedAlive: undefined, configured };
}

function describe(member: Member): string {
  return member.id === undefined ? `broker at ${member.address}` : `broker ${member.id} (${member.address})`;
}

/** "http://Host:80/" and "host:80" name the same peer. */
export function normalizeAddress(address: string): string {
  return address
    .trim()
    .replace(/^https?:\/\//, "")
    .replace(/\/+$/, "")
    .toLowerCase();
}

/** host:port with a port in 1..65535. */
export function isAddress(address: string): boolean {
  const match = /^([^\s/:]+|\[[0-9a-f:.]+\]):(\d{1,5})$/i.exec(normalizeAddress(address));
  if (!match) return false;
  const port = Number(match[2]);
  return port >= 1 && port <= 65_535;
}

function isIdentity(value: unknown): value is BrokerRef {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return Number.isSafeInteger(v.id) && typeof v.address === "string" && v.address !== "";
}

/** A heartbeat's listener addresses, kept only as names to non-empty strings (the map came over the network). */
function listenerAddresses(value: unknown): Map<string, string> | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const out = new Map<string, string>();
  for (const [name, address] of Object.entries(value as Record<string, unknown>)) if (typeof address === "string" && address !== "") out.set(name, address);
  return out.size > 0 ? out : undefined;
}

function isHeartbeat(value: unknown): value is Heartbeat {
  if (!isIdentity(value)) return false;
  const v = value as unknown as Record<string, unknown>;
  return Number.isSafeInteger(v.metadataVersion) && Array.isArray(v.members);
}

/** The peer client's refusal of an answer that no broker of this cluster signed. */
function isUnsignedAnswer(error: unknown): boolean {
  return error instanceof StreamNestError && (error.details as { unsignedAnswer?: unknown } | undefined)?.unsignedAnswer === true;
}
