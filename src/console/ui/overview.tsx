import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api.ts";
import { formatBytes, formatCount, formatRate } from "../format.ts";
import { buildOverview, type Overview } from "../overview-model.ts";
import { pushBounded, type Rates, ratesBetween, type Scrape, scrapeOf } from "../rates.ts";
import type { ClusterAnswer, MetadataAnswer } from "../types.ts";
import { ErrorMessage, Loaded, NotReported, Sparkline, Stat } from "./components.tsx";
import { useApi } from "./use-api.ts";

const REFRESH_MS = 2000;
const SPARK_POINTS = 30;

export interface LiveRates {
  rates: Rates | null;
  produced: number[];
  consumed: number[];
  error: string | null;
}

/** Scrapes this broker's /metrics every `intervalMs` and keeps the rates between scrapes. */
export function useRates(intervalMs = REFRESH_MS): LiveRates {
  const [state, setState] = useState<LiveRates>({ rates: null, produced: [], consumed: [], error: null });
  const last = useRef<Scrape | null>(null);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async (): Promise<void> => {
      const answer = await api.text("/metrics");
      if (stopped) return;
      if (answer.ok) {
        const scrape = scrapeOf(answer.value, performance.now());
        const before = last.current;
        last.current = scrape;
        const rates = before === null ? null : ratesBetween(before, scrape);
        if (rates !== null)
          setState((s) => ({
            rates,
            produced: pushBounded(s.produced, rates.producedPerSec, SPARK_POINTS),
            consumed: pushBounded(s.consumed, rates.consumedPerSec, SPARK_POINTS),
            error: null,
          }));
      } else setState((s) => ({ ...s, error: `${answer.error.code}: ${answer.error.message}` }));
      timer = setTimeout(() => void tick(), intervalMs);
    };
    void tick();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [intervalMs]);
  return state;
}

export function OverviewView() {
  const cluster = useApi((signal) => api.get<ClusterAnswer>("/cluster", signal), "cluster", REFRESH_MS);
  const metadata = useApi((signal) => api.get<MetadataAnswer>("/metadata", signal), "metadata", REFRESH_MS);
  const live = useRates();
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <Loaded result={cluster.result} what="the cluster">
        {(c) => (
          <Loaded result={metadata.result} what="the metadata">
            {(m) => <OverviewBody overview={buildOverview(c, m)} cluster={c} live={live} />}
          </Loaded>
        )}
      </Loaded>
    </section>
  );
}

function OverviewBody({ overview, cluster, live }: { overview: Overview; cluster: ClusterAnswer; live: LiveRates }) {
  const self = overview.brokers.find((b) => b.self);
  const led = self?.partitionsLed ?? 0;
  return (
    <>
      <div class="warnings" aria-live="polite">
        {overview.warnings.length > 0 ? (
          <div class="warning" role="alert" data-testid="broker-warnings">
            <strong>Attention</strong>
            <ul>
              {overview.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          </div>
        ) : null}
      </div>
      <div class="stats">
        <Stat label="Brokers" value={`${overview.brokers.filter((b) => b.state === "alive").length} / ${overview.brokers.length} alive`} />
        <Stat label="Topics" value={formatCount(overview.topics)} />
        <Stat label="Partitions" value={formatCount(overview.partitions)} />
        <Stat label="Offline partitions" value={formatCount(overview.offline)} tone={overview.offline > 0 ? "warn" : "ok"} />
        <Stat
          label="Under-replicated"
          value={overview.underReplicated === null ? "—" : formatCount(overview.underReplicated)}
          tone={overview.underReplicated !== null && overview.underReplicated > 0 ? "warn" : undefined}
        >
          {overview.underReplicated === null ? <NotReported /> : null}
        </Stat>
        <Stat label="Produce rate" value={formatRate(live.rates?.producedPerSec)}>
          <Sparkline values={live.produced} label="messages produced per second" />
        </Stat>
        <Stat label="Consume rate" value={formatRate(live.rates?.consumedPerSec)}>
          <Sparkline values={live.consumed} label="messages consumed per second" />
        </Stat>
      </div>
      <p class="muted small">
        Rates are counted by broker {cluster.broker} (the one serving this page) for the {led} partition{led === 1 ? "" : "s"} it
        leads; metadata version {cluster.metadata_version}.
      </p>
      {live.error !== null ? <ErrorMessage error={{ status: 0, code: "METRICS", message: live.error }} what="Metrics" /> : null}
      <h2>Brokers</h2>
      <table class="grid" data-testid="brokers">
        <thead>
          <tr>
            <th scope="col">Id</th>
            <th scope="col">Address</th>
            <th scope="col">State</th>
            <th scope="col">Role</th>
            <th scope="col" class="num">Partitions led</th>
            <th scope="col" class="num">Last heartbeat</th>
            <th scope="col" class="num">Disk used</th>
          </tr>
        </thead>
        <tbody>
          {overview.brokers.map((b) => (
            <tr key={b.address} data-broker={b.id ?? b.address} class={b.state === "alive" ? "" : "row-bad"}>
              <td>{b.id ?? "?"}</td>
              <td>
                <code>{b.address}</code>
                {b.self ? <span class="tag">this page</span> : null}
              </td>
              <td>
                <span class={`badge ${b.state}`} data-state={b.state}>
                  {b.state}
                </span>
              </td>
              <td>
                {b.controller ? <span class="tag">controller</span> : null}
                {b.quorumLeader === true ? <span class="tag">quorum leader</span> : null}
              </td>
              <td class="num">{formatCount(b.partitionsLed)}</td>
              <td class="num">{b.lastHeartbeatMs === null ? "—" : `${formatCount(b.lastHeartbeatMs)} ms ago`}</td>
              <td class="num">{b.diskBytes === null ? <NotReported /> : formatBytes(b.diskBytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
