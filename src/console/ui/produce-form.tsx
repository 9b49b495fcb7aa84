import { useState } from "preact/hooks";
import { api, type ApiFailure } from "../api.ts";
import { parseHeaders } from "../message-format.ts";
import { routeHref } from "../route.ts";
import type { ProduceAnswer } from "../types.ts";
import { ErrorMessage } from "./components.tsx";

/** POST /produce of one message; a schema's refusal is shown with each violation. */
export function ProduceForm({ topic, partitions, onProduced }: { topic: string; partitions: number; onProduced: () => void }) {
  const [key, setKey] = useState("");
  const [headers, setHeaders] = useState("");
  const [value, setValue] = useState("");
  const [partition, setPartition] = useState("");
  const [error, setError] = useState<ApiFailure | null>(null);
  const [done, setDone] = useState<ProduceAnswer | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(null);
    setDone(null);
    const parsed = parseHeaders(headers);
    if ("error" in parsed) return setError({ status: 0, code: "INVALID_HEADERS", message: parsed.error });
    const body: Record<string, unknown> = { topic, message: value };
    if (key !== "") body.key = key;
    if (partition !== "") body.partition = Number(partition);
    if (Object.keys(parsed.headers).length > 0) body.headers = parsed.headers;
    setBusy(true);
    const answer = await api.post<ProduceAnswer>("/produce", body);
    setBusy(false);
    if (!answer.ok) return setError(answer.error);
    setDone(answer.value);
    onProduced();
  };
  return (
    <details class="panel">
      <summary>Produce a message</summary>
      <form onSubmit={(e) => void submit(e)} aria-label="Produce a message" class="stack">
        <div class="form-row">
          <label>
            Key
            <input name="key" value={key} placeholder="none" onInput={(e) => setKey(e.currentTarget.value)} />
          </label>
          <label>
            Partition
            <select name="partition" value={partition} onChange={(e) => setPartition(e.currentTarget.value)}>
              <option value="">by key, else round-robin</option>
              {Array.from({ length: partitions }, (_, p) => (
                <option key={p} value={String(p)}>
                  {p}
                </option>
              ))}
            </select>
          </label>
        </div>
        <label>
          <span>
            Headers (one <code>name: value</code> a line)
          </span>
          <textarea name="headers" rows={2} value={headers} onInput={(e) => setHeaders(e.currentTarget.value)} />
        </label>
        <label>
          Value
          <textarea name="value" rows={4} required value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        </label>
        <div>
          <button type="submit" disabled={busy}>
            {busy ? "Sending…" : "Produce"}
          </button>
        </div>
      </form>
      {error !== null ? <ErrorMessage error={error} what="Refused" /> : null}
      {done !== null ? (
        <p class="ok" role="status">
          Written to partition {done.partition} at offset {done.offset}.{" "}
          <a href={routeHref({ view: "topic", topic, messages: { partition: done.partition, from: "offset", offset: done.offset, time: null, filter: "", live: false } })}>
            Show it
          </a>
        </p>
      ) : null}
    </details>
  );
}
