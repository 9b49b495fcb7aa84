import { useState } from "preact/hooks";
import { api, type ApiFailure, pathOf } from "../api.ts";
import { acceptedTopicSettings, TOPIC_SETTINGS } from "../capabilities.ts";
import { formatBytes, formatCount, formatRate } from "../format.ts";
import { lagByTopic } from "../group-model.ts";
import { defaultMessages, routeHref } from "../route.ts";
import type { GroupAnswer, GroupsAnswer, TopicsDetailsAnswer, TopicTotals } from "../types.ts";
import { ErrorMessage, Loaded } from "./components.tsx";
import { go } from "./navigation.ts";
import { useRates } from "./overview.tsx";
import { limited, useApi } from "./use-api.ts";

const REFRESH_MS = 5000;
/** Topics per page, with their totals in one answer (GET /topics?details=true&offset&limit). */
export const TOPICS_PER_PAGE = 100;

interface TopicsData {
  rows: TopicTotals[];
  /** Topics matching the name filter, on every page. */
  matching: number;
  lag: Map<string, Array<{ group: string; lag: number | null }>>;
  groupsError: ApiFailure | null;
}

async function loadTopics(signal: AbortSignal, nameFilter: string, page: number) {
  const query = new URLSearchParams({ details: "true", offset: String(page * TOPICS_PER_PAGE), limit: String(TOPICS_PER_PAGE) });
  if (nameFilter.trim() !== "") query.set("contains", nameFilter.trim());
  // The page of topics and the groups are asked at once; the lag needs both.
  const [topics, groups] = await Promise.all([api.get<TopicsDetailsAnswer>(`/topics?${query}`, signal), api.get<GroupsAnswer>("/groups", signal)]);
  if (!topics.ok) return topics;
  let lag = new Map<string, Array<{ group: string; lag: number | null }>>();
  let groupsError: ApiFailure | null = null;
  if (groups.ok) {
    const each = await limited(
      groups.value.groups.map((g) => () => api.get<GroupAnswer>(pathOf("groups", g.group), signal)),
      6,
    );
    lag = lagByTopic(each.flatMap((g) => (g.ok ? [g.value] : [])));
  } else groupsError = groups.error;
  return { ok: true as const, value: { rows: topics.value.details, matching: topics.value.total, lag, groupsError } satisfies TopicsData };
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
            {/* No pager over an empty list: "No topics yet." below says it once. */}
            {data.matching > 0 || page > 0 ? (
              <div class="form-row">
                <span class="muted" data-testid="topics-range">
                  {data.rows.length === 0
                    ? `Nothing on page ${page + 1} of ${formatCount(data.matching)} topics`
                    : `${page * TOPICS_PER_PAGE + 1}–${page * TOPICS_PER_PAGE + data.rows.length} of ${formatCount(data.matching)}`}
                </span>
                <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
                  ← Previous
                </button>
                <button type="button" disabled={(page + 1) * TOPICS_PER_PAGE >= data.matching} onClick={() => setPage(page + 1)}>
                  Next →
                </button>
              </div>
            ) : null}
            {data.rows.length === 0 ? (
              data.matching > 0 ? null : (
                <p class="muted">{nameFilter === "" ? "No topics yet." : "No topic name contains that."}</p>
              )
            ) : (
              <table class="grid" data-testid="topics">
                <thead>
                  <tr>
                    <th scope="col">Topic</th>
                    <th scope="col" class="num">Partitions</th>
                    <th scope="col" class="num">Replication</th>
                    <th scope="col" class="num">Messages</th>
                    <th scope="col" class="num">Size</th>
                    <th scope="col" class="num">Produce rate</th>
                    <th scope="col">Consumer groups (lag)</th>
                  </tr>
                </thead>
                <tbody>
                  {data.rows.map((r) => {
                    const partial = r.unreported_partitions > 0;
                    const unreported = `${r.unreported_partitions} of ${r.partitions} partitions not counted: their leader did not answer`;
                    return (
                      <tr key={r.topic} data-topic={r.topic}>
                        <td>
                          <a href={routeHref({ view: "topic", topic: r.topic, messages: defaultMessages() })}>{r.topic}</a>
                          {partial ? <div class="error small">{unreported}</div> : null}
                        </td>
                        <td class="num">{r.partitions}</td>
                        <td class="num">{r.replication_factor}</td>
                        <td class="num" title={partial ? unreported : undefined}>
                          {partial ? "≥ " : ""}
                          {formatCount(r.messages)}
                        </td>
                        <td class="num" title={partial ? unreported : undefined}>
                          {partial ? "≥ " : ""}
                          {formatBytes(r.size_bytes)}
                        </td>
                        <td class="num">{formatRate(live.rates?.producedPerSecByTopic.get(r.topic) ?? (live.rates === null ? null : 0))}</td>
                        <td>
                          {(data.lag.get(r.topic) ?? []).map((g) => (
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
          </>
        )}
      </Loaded>
    </section>
  );
}

/** The form is built when first opened: it reads the OpenAPI document (tens of KB), which the list itself does not need. */
function CreateTopic({ onCreated }: { onCreated: () => void }) {
  const [opened, setOpened] = useState(false);
  return (
    <details class="panel" onToggle={(e) => e.currentTarget.open && setOpened(true)}>
      <summary>Create a topic</summary>
      {opened ? <CreateTopicForm onCreated={onCreated} /> : null}
    </details>
  );
}

function CreateTopicForm({ onCreated }: { onCreated: () => void }) {
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
    <>
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
    </>
  );
}
