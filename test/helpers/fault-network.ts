import { FaultProxy, type CutMode, type ProxyTarget } from "./fault-proxy.ts";

/**
 * The links of a cluster on one machine, each directed link (broker A reaching broker B)
 * through its own FaultProxy, so that a test can partition brokers from each other
 * without root. Give each broker `peersOf(id)` instead of the other brokers' real
 * addresses. Faults are between brokers only: clients of the test still reach every
 * broker directly.
 */

export interface NetworkNode extends ProxyTarget {
  id: number;
}

export class FaultNetwork {
  private constructor(
    private readonly ids: number[],
    private readonly links: Map<string, FaultProxy>,
  ) {}

  /** One proxy per ordered pair of `nodes` (N·(N-1) proxies), each towards the second's address. */
  static async start(nodes: readonly NetworkNode[]): Promise<FaultNetwork> {
    const ids = nodes.map((node) => node.id);
    if (new Set(ids).size !== ids.length) throw new RangeError(`node ids must be distinct, got ${ids.join(",")}`);
    const links = new Map<string, FaultProxy>();
    try {
      for (const from of nodes)
        for (const to of nodes)
          if (from.id !== to.id) links.set(key(from.id, to.id), await FaultProxy.start({ host: to.host, port: to.port }));
    } catch (error) {
      await Promise.all([...links.values()].map((proxy) => proxy.close()));
      throw error;
    }
    return new FaultNetwork(ids, links);
  }

  /** The proxy `from` goes through to reach `to`. */
  link(from: number, to: number): FaultProxy {
    const proxy = this.links.get(key(from, to));
    if (proxy === undefined) throw new RangeError(`no link ${from}->${to} (nodes: ${this.ids.join(",")})`);
    return proxy;
  }

  /** The addresses node `id` must use for its peers, in node order (its own left out). */
  peersOf(id: number): string[] {
    if (!this.ids.includes(id)) throw new RangeError(`no node ${id} (nodes: ${this.ids.join(",")})`);
    return this.ids.filter((other) => other !== id).map((other) => this.link(id, other).address);
  }

  /** Node `id` now listens elsewhere (restarted on another port): new connections to it go there. */
  moveNode(id: number, target: ProxyTarget): void {
    for (const from of this.ids) if (from !== id) this.link(from, id).retarget(target);
  }

  /** Cuts the link between `a` and `b` in both directions. */
  cutLink(a: number, b: number, mode: CutMode = "reset"): void {
    this.link(a, b).cut(mode);
    this.link(b, a).cut(mode);
  }

  /**
   * Bytes sent by `from` stop reaching `to`; bytes from `to` still reach `from`. So a
   * request `from` makes to `to` is never received, and a request `to` makes to `from`
   * is received and acted on, but its answer never comes back.
   */
  cutOneWay(from: number, to: number): void {
    this.link(from, to).oneWay("toClient");
    this.link(to, from).oneWay("toTarget");
  }

  /** Cuts every link of `id`, both directions. */
  isolate(id: number, mode: CutMode = "reset"): void {
    for (const other of this.ids) if (other !== id) this.cutLink(id, other, mode);
  }

  /** Delays every chunk on the link between `a` and `b`, both directions. */
  delayLink(a: number, b: number, ms: number): void {
    this.link(a, b).delay(ms);
    this.link(b, a).delay(ms);
  }

  healLink(a: number, b: number): void {
    this.link(a, b).heal();
    this.link(b, a).heal();
  }

  healAll(): void {
    for (const proxy of this.links.values()) proxy.heal();
  }

  async close(): Promise<void> {
    await Promise.all([...this.links.values()].map((proxy) => proxy.close()));
  }
}

function key(from: number, to: number): string {
  return `${from}->${to}`;
}
