import { useState } from "preact/hooks";
import { api, type ApiFailure, pathOf } from "../api.ts";
import { acceptedTopicSettings, TOPIC_SETTINGS } from "../capabilities.ts";
import { formatBytes, formatCount, formatRate, messageCount } from "../format.ts";
import { lagByTopic } from "../group-model.ts";
import { defaultMessages, routeHref } from "../route.ts";
import type { GroupAnswer, GroupsAnswer, MetadataAnswer, TopicAnswer } from "../types.ts";
import { ErrorMessage, Loaded } from "./components.tsx";
import { go } from "./navigation.ts";
import { useRates } from "./overview.tsx";
import { limited, useApi } from "./use-api.ts";

const REFRESH_MS = 5000;
/** Topics described per page: each costs a describe call (and its leaders' answers) per refresh. */
export const TOPICS_PER_PAGE = 100;

interface TopicRow {
  name: string;
  partitions: number;
  described: TopicAnswer | null;
  error: ApiFailure | null;
}

interface TopicsData {
  rows: TopicRow[];
  /** Topics matching the name filter, on every page. */
  matching: number;
  lag: Map<string, Array<{ group: string; lag: number | null }>>;
  groupsError: ApiFailure | null;
}

async function loadTopics(signal: AbortSignal, nameFilter: string, page: number) {
  const meta = await api.get<MetadataAnswer>("/metadata", signal);
  if (!meta.ok) return meta;
  const needle = nameFilter.trim().toLowerCase();
  const all = Object.keys(meta.value.topic_partitions)
    .filter((n) => n.toLowerCase().includes(needle))
    .sort();
  const names = all.slice(page * TOPICS_PER_PAGE, (page + 1) * TOPICS_PER_PAGE);
  const described = await limited(
    names.map((n) => () => api.get<TopicAnswer>(pathOf("topics", n), signal)),
    6,
  );
  const rows: TopicRow[] = names.map((name, i) => {
    const d = described[i];
    return { name, partitions: meta.value.topic_partitions[name].partitions.length, described: d.ok ? d.value : null, error: d.ok ? null : d.error };
  });
  const groups = await api.get<GroupsAnswer>("/groups", signal);
  let lag = new Map<string, Array<{ group: string; lag: number | null }>>();
  let groupsError: ApiFailure | null = null;
  if (groups.ok) {
    const each = await limited(
      groups.value.groups.map((g) => () => api.get<GroupAnswer>(pathOf("groups", g.group), signal)),
      6,
    );
    lag = lagByTopic(each.flatMap((g) => (g.ok ? [g.value] : [])));
  } else groupsError = groups.error;
  return { ok: true as const, value: { rows, matching: all.length, lag, groupsError } satisfies TopicsData };
}

function totals(t: TopicAnswer | null): { messages: number | null; size: number | null } {
  if (t === null) return { messages: null, size: null };
  let messages = 0;
  let size = 0;
  for (const p of t.partitions) {
    const n = messageCount(p.start_offset, p.end_offset);
    if (n === null || p.size_bytes === undefined) return { messages: null, size: null };
    messages += n;
    size += p.size_bytes;
  }
  return { messages, size };
}

export function TopicsView() {
  const [nameFilter, setNameFilter] = useState("");
  const [page, setPage] = useState(0);
  const topics = useApi((signal) => loadTopics(signal, nameFilter, page), `topics|${nameFilter}|${page}`, REFRESH_MS);
  const live = useRates(REFRESH_MS);
  return (
    <section aria-labelledby="topics-title">
      <h1 id="topics-title">Topics</h1>
      <CreateTopic onCreated={topics.reload} />
      <div class="form-row">
        <label class="grow">
          Topic name contains
          <input
            type="search"
            name="topic-filter"
            value={nameFilter}
            onInput={(e) => {
              setNameFilter(e.currentTarget.value);
              setPage(0);
            }}
          />
        </label>
      </div>
      <Loaded result={topics.result} what="the topics">
        {(data) => (
          <>
            {data.groupsError !== null ? <ErrorMessage error={data.groupsError} what="Consumer groups" /> : null}
            <div class="form-row">
              <span class="muted" data-testid="topics-range">
                {data.matching === 0 ? "No topic" : `${page * TOPICS_PER_PAGE + 1}–${page * TOPICS_PER_PAGE + data.rows.length} of ${formatCount(data.matching)}`}
              </span>
              <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
                ← Previous
              </button>
              <button type="button" disabled={(page + 1) * TOPICS_PER_PAGE >= data.matching} onClick={() => setPage(page + 1)}>
                Next →
              </button>
            </div>
            {data.rows.length === 0 ? (
              <p class="muted">{nameFilter === "" ? "No topics yet." : "No topic name contains that."}</p>
            ) : (
              <table class="grid" data-testid="topics">
                <thead>
                  <tr>
                    <th scope="col">Topic</th>
                    <th scope="col" class="num">Partitions</th>
                    <th scope="col" class="num">Replication</th>
                    <th scope="col" class="num">Messages</th>
                    <th scope="col" class="num">Size</th>
                    <th scope="col" class="num" title="Counted by the broker serving this page, for the partitions it leads">
                      Produce rate*
                    </th>
                    <th scope="col">Consumer groups (lag)</th>
                  </tr>
                </thead>
                <tbody>
                  {data.rows.map((r) => {
                    const t = totals(r.described);
                    const rf = r.described === null ? null : (r.described.replication_factor ?? Math.max(...r.described.partitions.map((p) => p.replicas.length)));
                    return (
                      <tr key={r.name} data-topic={r.name}>
                        <td>
                          <a href={routeHref({ view: "topic", topic: r.name, messages: defaultMessages() })}>{r.name}</a>
                          {r.error !== null ? <div class="error small">{r.error.code}: {r.error.message}</div> : null}
                        </td>
                        <td class="num">{r.partitions}</td>
                        <td class="num">{rf === null ? "—" : rf}</td>
                        <td class="num">{formatCount(t.messages)}</td>
                        <td class="num">{formatBytes(t.size)}</td>
                        <td class="num">{formatRate(live.rates?.producedPerSecByTopic.get(r.name) ?? (live.rates === null ? null : 0))}</td>
                        <td>
                          {(data.lag.get(r.name) ?? []).map((g) => (
                            <a class="tag" key={g.group} href={routeHref({ view: "group", group: g.group })}>
                              {g.group}: {g.lag === null ? "?" : formatCount(g.lag)}
                            </a>
                          ))}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
            <p class="muted small">* produce rate as counted by the broker serving this page (each broker counts the partitions it leads).</p>
          </>
        )}
      </Loaded>
    </section>
  );
}

function CreateTopic({ onCreated }: { onCreated: () => void }) {
  const openapi = useApi((signal) => api.get<unknown>("/swagger/json", signal), "openapi");
  const settings = openapi.result?.ok === true ? acceptedTopicSettings(openapi.result.value) : [];
  const missing = TOPIC_SETTINGS.filter((s) => !settings.some((a) => a.field === s.field));
  const [name, setName] = useState("");
  const [partitions, setPartitions] = useState("3");
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiFailure | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const body: Record<string, unknown> = { topic: name.trim(), partitions: Number(partitions) };
    for (const s of settings) if ((values[s.field] ?? "").trim() !== "") body[s.field] = Number(values[s.field]);
    const answer = await api.post<{ status: string }>("/create-topic", body);
    setBusy(false);
    if (!answer.ok) return setError(answer.error);
    if (answer.value.status === "exists") return setError({ status: 200, code: "TOPIC_EXISTS", message: `${body.topic as string} already exists with ${partitions} partitions` });
    onCreated();
    go({ view: "topic", topic: name.trim(), messages: defaultMessages() });
  };
  return (
    <details class="panel" open={false}>
      <summary>Create a topic</summary>
      <form onSubmit={(e) => void submit(e)} class="form-row" aria-label="Create a topic">
        <label>
          Name
          <input name="topic" required maxLength={249} pattern="[a-zA-Z0-9._\-]+" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Partitions
          <input name="partitions" type="number" min={1} required value={partitions} onInput={(e) => setPartitions(e.currentTarget.value)} />
        </label>
        {settings.map((s) => (
          <label key={s.field}>
            {s.label}
            <input
              name={s.field}
              type="number"
              min={0}
              placeholder={s.help}
              value={values[s.field] ?? ""}
              onInput={(e) => setValues({ ...values, [s.field]: e.currentTarget.value })}
            />
          </label>
        ))}
        <button type="submit" disabled={busy}>
          {busy ? "Creating…" : "Create"}
        </button>
      </form>
      {missing.length > 0 && openapi.result?.ok === true ? (
        <p class="muted small">This broker's API does not take {missing.map((s) => s.label.toLowerCase()).join(", ")} yet; the fields appear when it does.</p>
      ) : null}
      {error !== null ? <ErrorMessage error={error} what="Not created" /> : null}
    </details>
  );
}
