import { useState } from "preact/hooks";
import { api, type ApiFailure, pathOf } from "../api.ts";
import { formatBytes, formatCount, formatDuration, formatTime, messageCount } from "../format.ts";
import type { MessagesQuery } from "../route.ts";
import type { SchemasAnswer, TopicAnswer, TopicSetting } from "../types.ts";
import { ErrorMessage, Loaded, NotReported } from "./components.tsx";
import { MessagesPanel } from "./messages.tsx";
import { go } from "./navigation.ts";
import { ProduceForm } from "./produce-form.tsx";
import { useApi } from "./use-api.ts";

export function TopicView({ topic, messages }: { topic: string; messages: MessagesQuery }) {
  const described = useApi((signal) => api.get<TopicAnswer>(pathOf("topics", topic), signal), `topic:${topic}`, 5000);
  return (
    <section aria-labelledby="topic-title">
      <h1 id="topic-title">
        Topic <code>{topic}</code>
      </h1>
      <Loaded result={described.result} what={`topic ${topic}`}>
        {(t) => (
          <>
            <Partitions topic={t} />
            <Settings topic={t} />
            <Schemas topic={topic} />
            <MessagesPanel topic={topic} partitions={t.partitions.map((p) => p.partition)} query={messages} />
            <ProduceForm topic={topic} partitions={t.partitions.length} onProduced={described.reload} />
            <DeleteTopic topic={topic} />
          </>
        )}
      </Loaded>
    </section>
  );
}

function Partitions({ topic }: { topic: TopicAnswer }) {
  const hasIsr = topic.partitions.some((p) => p.isr !== undefined);
  return (
    <>
      <h2>Partitions</h2>
      <table class="grid" data-testid="partitions">
        <thead>
          <tr>
            <th scope="col" class="num">Partition</th>
            <th scope="col">Leader</th>
            <th scope="col">Replicas</th>
            <th scope="col">ISR</th>
            <th scope="col" class="num">Start offset</th>
            <th scope="col" class="num">End offset</th>
            <th scope="col" class="num">Messages</th>
            <th scope="col" class="num">Size</th>
          </tr>
        </thead>
        <tbody>
          {topic.partitions.map((p) => {
            const under = p.isr !== undefined && p.isr.length < p.replicas.length;
            return (
              <tr key={p.partition} data-partition={p.partition} class={under ? "row-bad" : ""}>
                <td class="num">{p.partition}</td>
                <td>
                  {p.leader} <code class="muted">{p.broker}</code>
                </td>
                <td>{p.replicas.join(", ")}</td>
                <td>{p.isr === undefined ? (hasIsr ? "—" : <NotReported />) : p.isr.join(", ")}</td>
                <td class="num">{p.start_offset === undefined ? "—" : formatCount(p.start_offset)}</td>
                <td class="num" data-end-offset={p.end_offset}>
                  {p.end_offset === undefined ? <span class="error-text">leader unreachable</span> : formatCount(p.end_offset)}
                </td>
                <td class="num">{formatCount(messageCount(p.start_offset, p.end_offset))}</td>
                <td class="num">{formatBytes(p.size_bytes)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

function Settings({ topic }: { topic: TopicAnswer }) {
  const config = topic.config;
  const setting = (name: string, s: TopicSetting | undefined, format: (n: number) => string) => (
    <>
      <dt key={`k-${name}`}>{name}</dt>
      <dd key={`v-${name}`}>
        {s === undefined ? <NotReported /> : s.value === null ? "keep everything" : format(s.value)}
        {s === undefined ? null : <span class="muted small"> ({s.source === "topic" ? "set on this topic" : s.source === "broker" ? "the broker's flag" : "default"})</span>}
      </dd>
    </>
  );
  return (
    <details class="panel">
      <summary>Settings</summary>
      <dl class="pairs">
        <dt>Created</dt>
        <dd>{formatTime(topic.created_at)}</dd>
        <dt>Schema version enforced</dt>
        <dd>{topic.schema_version ?? "none"}</dd>
        <dt>Replication factor</dt>
        <dd>{topic.replication_factor ?? 1}</dd>
        <dt>Min in-sync replicas</dt>
        <dd>{topic.min_insync_replicas ?? 1}</dd>
        {config === undefined ? null : setting("Retention by age", config.retention_ms, formatDuration)}
        {config === undefined ? null : setting("Retention by size (per partition)", config.retention_bytes, formatBytes)}
      </dl>
      {config === undefined ? <p class="muted small">This broker reports no per-topic settings (retention) yet.</p> : null}
    </details>
  );
}

function Schemas({ topic }: { topic: string }) {
  const schemas = useApi((signal) => api.get<SchemasAnswer>(pathOf("schemas", topic), signal), `schemas:${topic}`);
  const result = schemas.result;
  return (
    <details class="panel">
      <summary>
        Schema versions
        {result?.ok === true ? ` (${result.value.versions.length})` : ""}
      </summary>
      {result !== null && !result.ok && result.error.status === 404 && result.error.code !== "TOPIC_NOT_FOUND" ? (
        <p class="muted">No schema registered.</p>
      ) : (
        <Loaded result={result} what="the schemas">
          {(s) =>
            s.versions.length === 0 ? (
              <p class="muted">No schema registered.</p>
            ) : (
              <ul class="plain">
                {s.versions.map((v) => (
                  <li key={v.version}>
                    Version {v.version}, {formatTime(v.registered_at)}
                  </li>
                ))}
              </ul>
            )
          }
        </Loaded>
      )}
      <a href={`/console/schemas/${encodeURIComponent(topic)}`}>Register a new version…</a>
    </details>
  );
}

function DeleteTopic({ topic }: { topic: string }) {
  const [asking, setAsking] = useState(false);
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<ApiFailure | null>(null);
  const remove = async (event: Event): Promise<void> => {
    event.preventDefault();
    const answer = await api.del<{ status: string }>(pathOf("topics", topic));
    if (!answer.ok) return setError(answer.error);
    go({ view: "topics" });
  };
  return (
    <div class="danger-zone">
      {asking ? (
        <form onSubmit={(e) => void remove(e)} aria-label="Confirm deletion">
          <p>
            Deleting <code>{topic}</code> removes every message and schema of it on every broker. Type the topic's name to confirm.
          </p>
          <input aria-label="Topic name to confirm" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} autoFocus />
          <button type="submit" class="danger" disabled={typed !== topic}>
            Delete {topic}
          </button>
          <button type="button" onClick={() => setAsking(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <button type="button" class="danger" onClick={() => setAsking(true)}>
          Delete topic…
        </button>
      )}
      {error !== null ? <ErrorMessage error={error} what="Not deleted" /> : null}
    </div>
  );
}
