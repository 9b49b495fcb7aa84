import { useState } from "preact/hooks";
import { api, type ApiFailure, pathOf } from "../api.ts";
import { formatCount, formatTime } from "../format.ts";
import { boundsOf, canReset, partitionKey, type ResetMode, type ResetTarget, resetTargets, totalLag } from "../group-model.ts";
import { routeHref } from "../route.ts";
import { offsetForTime } from "../time-seek.ts";
import type { GroupAnswer, GroupsAnswer, RecordsAnswer, TopicAnswer } from "../types.ts";
import { ErrorMessage, Loaded } from "./components.tsx";
import { limited, useApi } from "./use-api.ts";

const REFRESH_MS = 2000;

async function loadGroups(signal: AbortSignal) {
  const list = await api.get<GroupsAnswer>("/groups", signal);
  if (!list.ok) return list;
  const described = await limited(
    list.value.groups.map((g) => () => api.get<GroupAnswer>(pathOf("groups", g.group), signal)),
    6,
  );
  return { ok: true as const, value: { list: list.value, described } };
}

export function GroupsView() {
  const groups = useApi(loadGroups, "groups", REFRESH_MS);
  return (
    <section aria-labelledby="groups-title">
      <h1 id="groups-title">Consumer groups</h1>
      <Loaded result={groups.result} what="the consumer groups">
        {({ list, described }) => (
          <>
            {list.unreachable_brokers.length > 0 ? (
              <div class="warning" role="alert">
                Brokers {list.unreachable_brokers.join(", ")} could not be asked: the groups they coordinate are missing.
              </div>
            ) : null}
            {list.groups.length === 0 ? (
              <p class="muted">No consumer groups yet.</p>
            ) : (
              <table class="grid" data-testid="groups">
                <thead>
                  <tr>
                    <th scope="col">Group</th>
                    <th scope="col">State</th>
                    <th scope="col" class="num">Members</th>
                    <th scope="col" class="num">Coordinator</th>
                    <th scope="col" class="num">Total lag</th>
                  </tr>
                </thead>
                <tbody>
                  {list.groups.map((g, i) => {
                    const d = described[i];
                    return (
                      <tr key={g.group} data-group={g.group}>
                        <td>
                          <a href={routeHref({ view: "group", group: g.group })}>{g.group}</a>
                        </td>
                        <td>{g.state}</td>
                        <td class="num">{g.members}</td>
                        <td class="num">{g.coordinator}</td>
                        <td class="num">{d.ok ? formatCount(totalLag(d.value.partitions)) : <span class="error-text">{d.error.code}</span>}</td>
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

export function GroupView({ group }: { group: string }) {
  const described = useApi((signal) => api.get<GroupAnswer>(pathOf("groups", group), signal), `group:${group}`, REFRESH_MS);
  return (
    <section aria-labelledby="group-title">
      <h1 id="group-title">
        Group <code>{group}</code>
      </h1>
      <Loaded result={described.result} what={`group ${group}`}>
        {(g) => (
          <>
            <dl class="pairs">
              <dt>State</dt>
              <dd data-testid="group-state">{g.state}</dd>
              <dt>Generation</dt>
              <dd>{g.generation}</dd>
              <dt>Assignor</dt>
              <dd>{g.assignor ?? "—"}</dd>
              <dt>Coordinator</dt>
              <dd>
                {g.coordinator.id} <code>{g.coordinator.address}</code>
              </dd>
              <dt>Total lag</dt>
              <dd data-testid="total-lag">{formatCount(totalLag(g.partitions))}</dd>
            </dl>
            <h2>Members</h2>
            {g.members.length === 0 ? (
              <p class="muted">No members.</p>
            ) : (
              <table class="grid">
                <thead>
                  <tr>
                    <th scope="col">Member</th>
                    <th scope="col">Client</th>
                    <th scope="col">Assignment</th>
                    <th scope="col">Last seen</th>
                  </tr>
                </thead>
                <tbody>
                  {g.members.map((m) => (
                    <tr key={m.member_id}>
                      <td>
                        <code>{m.member_id}</code>
                      </td>
                      <td>{m.client_id}</td>
                      <td>{m.assignments.map((a) => `${a.topic}/${a.partition}`).join(", ") || "—"}</td>
                      <td>{formatTime(m.last_seen)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <h2>Offsets and lag</h2>
            <table class="grid" data-testid="group-partitions">
              <thead>
                <tr>
                  <th scope="col">Topic</th>
                  <th scope="col" class="num">Partition</th>
                  <th scope="col">Member</th>
                  <th scope="col" class="num">Committed</th>
                  <th scope="col" class="num">End</th>
                  <th scope="col" class="num">Lag</th>
                </tr>
              </thead>
              <tbody>
                {g.partitions.map((p) => (
                  <tr key={partitionKey(p.topic, p.partition)} data-partition={`${p.topic}/${p.partition}`}>
                    <td>
                      <a href={routeHref({ view: "topic", topic: p.topic, messages: { partition: p.partition, from: "offset", offset: p.committed_offset, time: null, filter: "", live: false } })}>
                        {p.topic}
                      </a>
                    </td>
                    <td class="num">{p.partition}</td>
                    <td>{p.member_id === null ? "—" : <code>{p.member_id}</code>}</td>
                    <td class="num">{formatCount(p.committed_offset)}</td>
                    <td class="num">{formatCount(p.end_offset)}</td>
                    <td class="num" data-lag={p.lag ?? ""}>
                      {formatCount(p.lag)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <ResetOffsets group={g} onDone={described.reload} />
          </>
        )}
      </Loaded>
    </section>
  );
}

async function planReset(g: GroupAnswer, mode: ResetMode, value: string): Promise<{ targets: ResetTarget[] } | { error: ApiFailure }> {
  const topics = [...new Set(g.partitions.map((p) => p.topic))];
  const described: TopicAnswer[] = [];
  for (const t of topics) {
    const d = await api.get<TopicAnswer>(pathOf("topics", t));
    if (!d.ok) return { error: d.error };
    described.push(d.value);
  }
  const bounds = boundsOf(described);
  if (mode !== "time") {
    const plan = resetTargets(g.partitions, mode, bounds, Number(value || 0));
    return "error" in plan ? { error: { status: 0, code: "UNKNOWN_OFFSETS", message: plan.error } } : plan;
  }
  const timeMs = new Date(value).getTime();
  if (Number.isNaN(timeMs)) return { error: { status: 0, code: "INVALID_TIME", message: "give a date and time" } };
  const targets: ResetTarget[] = [];
  for (const p of g.partitions) {
    const b = bounds.get(partitionKey(p.topic, p.partition));
    if (b === undefined) return { error: { status: 0, code: "UNKNOWN_OFFSETS", message: `the offsets of ${p.topic} partition ${p.partition} are unknown` } };
    const offset = await offsetForTime(b.start, b.end, timeMs, async (o) => {
      const one = await api.get<RecordsAnswer>(`${pathOf("topics", p.topic, "partitions", p.partition, "records")}?offset=${o}&max=1`);
      return one.ok ? (one.value.records[0]?.timestamp ?? null) : null;
    });
    targets.push({ topic: p.topic, partition: p.partition, offset });
  }
  return { targets };
}

function ResetOffsets({ group, onDone }: { group: GroupAnswer; onDone: () => void }) {
  const [mode, setMode] = useState<ResetMode>("earliest");
  const [value, setValue] = useState("");
  const [error, setError] = useState<ApiFailure | null>(null);
  const [done, setDone] = useState<string | null>(null);
  if (!canReset(group))
    return <p class="muted">Offsets can be reset when the group has no members (stop its consumers first).</p>;
  if (group.partitions.length === 0) return null;
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(null);
    setDone(null);
    const plan = await planReset(group, mode, value);
    if ("error" in plan) return setError(plan.error);
    const answer = await api.post<{ offsets: ResetTarget[] }>(`${pathOf("groups", group.group, "offsets")}`, { offsets: plan.targets });
    if (!answer.ok) return setError(answer.error);
    setDone(`Committed ${answer.value.offsets.map((o) => `${o.topic}/${o.partition} → ${o.offset}`).join(", ")}`);
    onDone();
  };
  return (
    <details class="panel">
      <summary>Reset offsets</summary>
      <form class="form-row" onSubmit={(e) => void submit(e)} aria-label="Reset offsets">
        <label>
          To
          <select name="mode" value={mode} onChange={(e) => setMode(e.currentTarget.value as ResetMode)}>
            <option value="earliest">earliest</option>
            <option value="latest">latest</option>
            <option value="offset">an offset</option>
            <option value="time">a time</option>
          </select>
        </label>
        {mode === "offset" ? (
          <label>
            Offset
            <input name="offset" type="number" min={0} required value={value} onInput={(e) => setValue(e.currentTarget.value)} />
          </label>
        ) : null}
        {mode === "time" ? (
          <label>
            Time (local)
            <input name="time" type="datetime-local" step={1} required value={value} onInput={(e) => setValue(e.currentTarget.value)} />
          </label>
        ) : null}
        <button type="submit">Reset every partition</button>
      </form>
      {error !== null ? <ErrorMessage error={error} what="Not reset" /> : null}
      {done !== null ? <p class="ok" role="status">{done}</p> : null}
    </details>
  );
}
