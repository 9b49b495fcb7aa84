import { useEffect, useState } from "preact/hooks";
import { api, type ApiFailure, pathOf } from "../api.ts";
import { formatTime } from "../format.ts";
import { routeHref } from "../route.ts";
import type { SchemasAnswer } from "../types.ts";
import { ErrorMessage, Loaded } from "./components.tsx";
import { useApi } from "./use-api.ts";

export function SchemasView({ topic }: { topic: string | null }) {
  const topics = useApi((signal) => api.get<{ topics: string[] }>("/list-topics", signal), "list-topics");
  return (
    <section aria-labelledby="schemas-title">
      <h1 id="schemas-title">Schemas</h1>
      <Loaded result={topics.result} what="the topics">
        {(t) => (
          <nav aria-label="Topics" class="chips">
            {t.topics.length === 0 ? <span class="muted">No topics yet.</span> : null}
            {[...t.topics].sort().map((name) => (
              <a key={name} class="tag" aria-current={name === topic ? "page" : undefined} href={routeHref({ view: "schemas", topic: name })}>
                {name}
              </a>
            ))}
          </nav>
        )}
      </Loaded>
      {topic === null ? <p class="muted">Pick a topic to see its schema versions and register a new one.</p> : <TopicSchemas topic={topic} />}
    </section>
  );
}

function TopicSchemas({ topic }: { topic: string }) {
  const schemas = useApi((signal) => api.get<SchemasAnswer>(pathOf("schemas", topic), signal), `schemas:${topic}`);
  const result = schemas.result;
  const none = result !== null && !result.ok && result.error.code === "SCHEMA_NOT_FOUND";
  const versions = result?.ok === true ? result.value.versions : [];
  const latest = versions.at(-1);
  return (
    <>
      <h2>
        Topic <code>{topic}</code>
      </h2>
      {none ? <p class="muted">No schema registered: any message is accepted.</p> : null}
      {!none ? (
        <Loaded result={result} what="the schema versions">
          {(s) =>
            s.versions.length === 0 ? (
              <p class="muted">No schema registered: any message is accepted.</p>
            ) : (
              <div class="stack">
                {[...s.versions].reverse().map((v, i) => (
                  <details key={v.version} open={i === 0} class="panel">
                    <summary>
                      Version {v.version}
                      {i === 0 ? " (enforced)" : ""}, {formatTime(v.registered_at)}
                    </summary>
                    <pre class="value json">{JSON.stringify(v.schema, null, 2)}</pre>
                  </details>
                ))}
              </div>
            )
          }
        </Loaded>
      ) : null}
      <Register topic={topic} initial={latest === undefined ? '{\n  "type": "object"\n}' : JSON.stringify(latest.schema, null, 2)} onDone={schemas.reload} />
    </>
  );
}

function Register({ topic, initial, onDone }: { topic: string; initial: string; onDone: () => void }) {
  const [text, setText] = useState(initial);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [done, setDone] = useState<string | null>(null);
  useEffect(() => setText(initial), [initial]);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(null);
    setDone(null);
    let schema: unknown;
    try {
      schema = JSON.parse(text);
    } catch (e) {
      return setError({ status: 0, code: "INVALID_JSON", message: `the schema is not JSON: ${e instanceof Error ? e.message : String(e)}` });
    }
    const answer = await api.post<{ status: string; version: number }>("/register-schema", { topic, schema });
    if (!answer.ok) return setError(answer.error);
    setDone(`Registered as version ${answer.value.version}.`);
    onDone();
  };
  return (
    <form class="panel stack" onSubmit={(e) => void submit(e)} aria-label="Register a schema version">
      <h3>Register a new version</h3>
      <label>
        <span>
          JSON Schema (draft-07, or 2019-09 / 2020-12 by <code>$schema</code>)
        </span>
        <textarea name="schema" rows={10} class="mono" value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      <div>
        <button type="submit">Register</button>
      </div>
      {error !== null ? <ErrorMessage error={error} what="Not registered" /> : null}
      {done !== null ? <p class="ok" role="status">{done}</p> : null}
    </form>
  );
}
