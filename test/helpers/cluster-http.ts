import type { BrokerProcess, TestCluster } from "./broker-harness.ts";
import { untilTrue } from "./until.ts";

/** Small HTTP helpers for the cluster integration tests. */

export interface Answer<T = unknown> {
  status: number;
  body: T;
}

export async function call<T = unknown>(
  broker: BrokerProcess | string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  const init: RequestInit = {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  };
  // A broker of the harness knows its scheme and the CA (and client certificate) an HTTPS one needs.
  const res = typeof broker === "string" ? await fetch(`${broker}${path}`, init) : await broker.fetch(path, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed as T };
}

export const get = <T = unknown>(broker: BrokerProcess | string, path: string, headers?: Record<string, string>) =>
  call<T>(broker, "GET", path, undefined, headers);
export const post = <T = unknown>(broker: BrokerProcess | string, path: string, body: unknown, headers?: Record<string, string>) =>
  call<T>(broker, "POST", path, body, headers);

/** streamnest_http_requests_total of one method, route and status on `broker` (0 when it has no such row). */
export async function requestCount(broker: BrokerProcess, method: string, route: string, status: number): Promise<number> {
  const text = String((await get<string>(broker, "/metrics")).body);
  const row = `streamnest_http_requests_total{method="${method}",route="${route}",status="${status}"} `;
  const line = text.split("\n").find((l) => l.startsWith(row));
  return line === undefined ? 0 : Number(line.slice(row.length));
}

export interface MetadataAnswer {
  topic_partitions: Record<
    string,
    {
      /** Replicated topics only (factor above 1), as are the partitions' replicas, isr and leader_epoch. */
      replication_factor?: number;
      min_insync_replicas?: number;
      partitions: Array<{ partition: number; broker: string; leader: number; replicas?: number[]; isr?: number[]; leader_epoch?: number }>;
    }
  >;
  brokers: Array<{ id: number; address: string }>;
  version: number;
}

export interface ClusterAnswer {
  broker: number;
  controller: number;
  metadata_version: number;
  brokers: Array<{
    id: number | null;
    address: string;
    alive: boolean;
    controller: boolean;
    self: boolean;
    metadata_version: number | null;
    /** Fenced by the metadata quorum (null: never registered; absent: no quorum). */
    fenced?: boolean | null;
  }>;
  /** The metadata quorum as the answering broker sees it. */
  quorum?: { voters: number[]; leader: number | null; epoch: number; committed_offset: number; role: string };
}

/** Polls until `check` holds (see until()). */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, limitMs = 20_000): Promise<void> {
  await untilTrue(what, async () => await check(), limitMs);
}

/**
 * Waits until every broker of the cluster counts every other alive (heartbeats both ways)
 * and none of them still sees one fenced: heartbeats reach a restarted broker before the
 * quorum commits its registration again, and until then the quorum leader places no new
 * partition on it (metadata-quorum.ts placementBrokers), nor counts it up for routing.
 */
export async function allAlive(cluster: TestCluster, limitMs = 20_000): Promise<void> {
  await eventually(async () => {
    for (const b of cluster.brokers) {
      const { body } = await get<ClusterAnswer>(b, "/cluster");
      const ids = body.brokers.filter((x) => x.alive && x.fenced !== true).map((x) => x.id);
      if (ids.length !== cluster.brokers.length) return false;
    }
    return true;
  }, "every broker sees every other alive", limitMs);
}

/** The broker id that leads `partition` under round-robin over ids 1..n. */
export const roundRobinLeader = (partition: number, n: number): number => (partition % n) + 1;
