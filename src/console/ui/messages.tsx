import { useEffect, useRef, useState } from "preact/hooks";
import { api, type ApiFailure, type ApiResult, pathOf } from "../api.ts";
import { formatCount } from "../format.ts";
import { matchesFilter } from "../message-format.ts";
import { partitionOptions } from "../partition-choice.ts";
import { Ring } from "../ring.ts";
import type { MessagesQuery, StartFrom } from "../route.ts";
import { offsetForTime } from "../time-seek.ts";
import type { ConsoleRecord, RecordsAnswer, TopicAnswer } from "../types.ts";
import { ErrorMessage, Loaded } from "./components.tsx";
import { tail } from "./live-tail.ts";
import { go } from "./navigation.ts";
import { RecordTable } from "./record-row.tsx";
import { useApi } from "./use-api.ts";

export const PAGE_SIZE = 50;
/** Records a live tail keeps (what pause and the filter work on)… */
export const TAIL_ROWS = 500;
/** …and the newest of them it shows: few enough to stay smooth at 1,000 msg/s. */
export const TAIL_SHOWN = 100;
const TAIL_FLUSH_MS = 250;

interface Page {
  from: number;
  records: ConsoleRecord[];
  next: number;
  start: number;
  end: number;
}

async function readPage(topic: string, q: MessagesQuery, signal: AbortSignal): Promise<ApiResult<Page>> {
  const described = await api.get<TopicAnswer>(pathOf("topics", topic), signal);
  if (!described.ok) return described;
  const p = described.value.partitions.find((x) => x.partition === q.partition);
  if (p === undefined) return { ok: false, error: { status: 400, code: "PARTITION_OUT_OF_RANGE", message: `${topic} has no partition ${q.partition}` } };
  if (p.start_offset === undefined || p.end_offset === undefined)
    return { ok: false, error: { status: 503, code: "LEADER_UNAVAILABLE", message: `the leader of partition ${q.partition} (broker ${p.leader}, ${p.broker}) cannot be reached` } };
  const start = p.start_offset;
  const end = p.end_offset;
  const recordsPath = (offset: number, max: number) => `${pathOf("topics", topic, "partitions", q.partition, "records")}?offset=${offset}&max=${max}`;
  let from: number;
  if (q.from === "end") from = Math.max(start, end - PAGE_SIZE);
  else if (q.from === "offset") from = Math.min(Math.max(q.offset ?? start, start), end);
  else if (q.from === "time") {
    let failure: ApiFailure | null = null;
    from = await offsetForTime(start, end, q.time ?? 0, async (offset) => {
      const one = await api.get<RecordsAnswer>(recordsPath(offset, 1), signal);
      if (!one.ok) failure = one.error;
      return one.ok ? (one.value.records[0]?.timestamp ?? null) : null;
    });
    if (failure !== null) return { ok: false, error: failure };
  } else from = start;
  if (from >= end) return { ok: true, value: { from, records: [], next: from, start, end } };
  const page = await api.get<RecordsAnswer>(recordsPath(from, PAGE_SIZE), signal);
  if (!page.ok) return page;
  return { ok: true, value: { from, records: page.value.records, next: page.value.next_offset, start: page.value.start_offset, end: page.value.end_offset } };
}

export function MessagesPanel({ topic, partitions, query }: { topic: string; partitions: number[]; query: MessagesQuery }) {
  const set = (change: Partial<MessagesQuery>, replace = false): void =>
    go({ view: "topic", topic, messages: { ...query, ...change } }, replace);
  return (
    <section class="panel" aria-labelledby="messages-title">
      <h2 id="messages-title">Messages</h2>
      <StartControls partitions={partitions} query={query} onChange={set} />
      <div class="form-row">
        <label class="grow">
          Filter
          <input
            type="search"
            name="filter"
            placeholder="words in key, value or headers"
            value={query.filter}
            onInput={(e) => set({ filter: e.currentTarget.value }, true)}
          />
        </label>
        {query.live ? (
          <button type="button" onClick={() => set({ live: false })}>
            Stop live tail
          </button>
        ) : (
          <button type="button" onClick={() => set({ live: true })}>
            Live tail
          </button>
        )}
      </div>
      {query.live ? <LiveTail topic={topic} query={query} /> : <Browse topic={topic} query={query} onChange={set} />}
    </section>
  );
}

function StartControls({ partitions, query, onChange }: { partitions: number[]; query: MessagesQuery; onChange: (c: Partial<MessagesQuery>) => void }) {
  const [from, setFrom] = useState<StartFrom>(query.from);
  const [offset, setOffset] = useState(query.offset === null ? "" : String(query.offset));
  const [time, setTime] = useState(query.time === null ? "" : toLocalInput(query.time));
  useEffect(() => {
    setFrom(query.from);
    setOffset(query.offset === null ? "" : String(query.offset));
  }, [query.from, query.offset]);
  const submit = (event: Event): void => {
    event.preventDefault();
    onChange({
      from,
      offset: from === "offset" ? Number(offset || 0) : null,
      time: from === "time" && time !== "" ? new Date(time).getTime() : null,
      live: false,
    });
  };
  return (
    <form class="form-row" onSubmit={submit} aria-label="Where to read from">
      <label>
        Partition
        <select name="partition" value={query.partition} onChange={(e) => onChange({ partition: Number(e.currentTarget.value) })}>
          {partitionOptions(partitions, query.partition).map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        From
        <select name="from" value={from} onChange={(e) => setFrom(e.currentTarget.value as StartFrom)}>
          <option value="beginning">the beginning</option>
          <option value="end">the end (last {PAGE_SIZE})</option>
          <option value="offset">an offset</option>
          <option value="time">a time</option>
        </select>
      </label>
      {from === "offset" ? (
        <label>
          Offset
          <input name="offset" type="number" min={0} value={offset} onInput={(e) => setOffset(e.currentTarget.value)} />
        </label>
      ) : null}
      {from === "time" ? (
        <label>
          Time (local)
          <input name="time" type="datetime-local" step={1} value={time} onInput={(e) => setTime(e.currentTarget.value)} />
        </label>
      ) : null}
      <button type="submit">Read</button>
    </form>
  );
}

function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 19);
}

function Browse({ topic, query, onChange }: { topic: string; query: MessagesQuery; onChange: (c: Partial<MessagesQuery>) => void }) {
  const key = `${topic}|${query.partition}|${query.from}|${query.offset}|${query.time}`;
  const page = useApi((signal) => readPage(topic, query, signal), key);
  return (
    <Loaded result={page.result} what="the messages">
      {(p) => {
        const shown = p.records.filter((r) => matchesFilter(r, query.filter));
        return (
          <>
            <div class="form-row">
              <span class="muted" data-testid="page-range">
                {pageRange(p)}
                {query.filter !== "" ? `; ${shown.length} of ${p.records.length} match the filter` : ""}
              </span>
              <button type="button" disabled={p.from <= p.start} onClick={() => onChange({ from: "offset", offset: Math.max(p.start, p.from - PAGE_SIZE) })}>
                ← Older
              </button>
              <button type="button" disabled={p.next >= p.end} onClick={() => onChange({ from: "offset", offset: p.next })}>
                Newer →
              </button>
              <button type="button" onClick={page.reload}>
                Refresh
              </button>
            </div>
            {shown.length > 0 ? (
              <div class="table-scroll">
                <RecordTable records={shown} partition={query.partition} label="Messages" />
              </div>
            ) : null}
          </>
        );
      }}
    </Loaded>
  );
}

/** "Offsets 42–91 of 0–2,001", or what the partition holds when the page is empty. */
function pageRange(p: Page): string {
  const held = p.end > p.start ? `offsets ${formatCount(p.start)}–${formatCount(p.end - 1)}` : "no records";
  if (p.records.length === 0) return `Nothing from offset ${formatCount(p.from)}; the partition holds ${held}`;
  return `Offsets ${formatCount(p.from)}–${formatCount(p.next - 1)} of ${held.replace("offsets ", "")}`;
}

function LiveTail({ topic, query }: { topic: string; query: MessagesQuery }) {
  const ring = useRef(new Ring<ConsoleRecord>(TAIL_ROWS));
  const pending = useRef<ConsoleRecord[]>([]);
  const received = useRef(0);
  const [rows, setRows] = useState<readonly ConsoleRecord[]>([]);
  const [paused, setPaused] = useState(false);
  const pausedRef = useRef(false);
  const countAtPause = useRef(0);
  const [status, setStatus] = useState<{ connected: boolean; error: ApiFailure | null }>({ connected: false, error: null });
  const [count, setCount] = useState(0);
  useEffect(() => {
    ring.current = new Ring<ConsoleRecord>(TAIL_ROWS);
    received.current = 0;
    setRows([]);
    const stop = tail(topic, query.partition, null, {
      onRecords: (records) => {
        pending.current.push(...records);
        received.current += records.length;
      },
      onState: setStatus,
    });
    // Records are applied in batches, a few times a second, not one render per record.
    const timer = setInterval(() => {
      if (pending.current.length === 0) return;
      ring.current.pushAll(pending.current);
      pending.current = [];
      setCount(received.current);
      if (!pausedRef.current) setRows(ring.current.rows);
    }, TAIL_FLUSH_MS);
    return () => {
      stop();
      clearInterval(timer);
    };
  }, [topic, query.partition]);
  const toggle = (): void => {
    pausedRef.current = !paused;
    countAtPause.current = received.current;
    setPaused(!paused);
    if (paused) setRows(ring.current.rows);
  };
  const shown: ConsoleRecord[] = [];
  for (let i = rows.length - 1; i >= 0 && shown.length < TAIL_SHOWN; i--) if (matchesFilter(rows[i], query.filter)) shown.push(rows[i]);
  const error: ApiFailure | null = status.error;
  return (
    <div data-testid="live-tail">
      <div class="form-row" aria-live="polite">
        <span class={`badge ${status.connected ? "alive" : "unreachable"}`}>{status.connected ? "live" : "connecting…"}</span>
        <span class="muted">
          {formatCount(count)} received since opened; newest first, last {TAIL_ROWS} kept, {TAIL_SHOWN} shown
          {paused ? ` — paused, ${formatCount(count - countAtPause.current)} new not shown` : ""}
        </span>
        <button type="button" onClick={toggle} aria-pressed={paused}>
          {paused ? "Resume" : "Pause"}
        </button>
      </div>
      {error !== null ? <ErrorMessage error={error} what="Live tail" /> : null}
      {shown.length === 0 ? (
        <p class="muted">Waiting for new messages on partition {query.partition}…</p>
      ) : (
        <div class="table-scroll">
          <RecordTable records={shown} partition={query.partition} label="Live messages" />
        </div>
      )}
    </div>
  );
}
