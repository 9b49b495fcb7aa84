import { Component } from "preact";
import { formatTime } from "../format.ts";
import { formatKey, formatMessage, recordHeaders, type ShownText } from "../record-bytes.ts";
import type { ConsoleRecord } from "../types.ts";

interface RowProps {
  record: ConsoleRecord;
  partition: number;
}

/** One message. Rendered once: a live tail re-renders the list often, never a row again. */
export class RecordRow extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps): boolean {
    return next.record !== this.props.record || next.partition !== this.props.partition;
  }

  override render() {
    return <RecordCells record={this.props.record} partition={this.props.partition} />;
  }
}

function RecordCells({ record, partition }: RowProps) {
  const value = formatMessage(record);
  const key = formatKey(record);
  const headers = recordHeaders(record);
  return (
    <tr data-offset={record.offset}>
      <td class="num">{record.offset}</td>
      <td class="num">{partition}</td>
      <td>{key === null ? <span class="muted">null</span> : <Short shown={key} />}</td>
      <td>{formatTime(record.timestamp)}</td>
      <td>
        {headers.length === 0 ? (
          <span class="muted">—</span>
        ) : (
          // keyed by position: a key may come twice
          headers.map((h, i) => (
            <div key={i}>
              <code>{h.key}</code>: {h.value === null ? <span class="muted">null</span> : <Short shown={h.value} plain />}
            </div>
          ))
        )}
      </td>
      <td>
        {value === null ? (
          <span class="muted" title="a tombstone: the record has no value">null</span>
        ) : (
          <>
            {value.kind === "text" ? null : <span class="tag">{value.kind === "json" ? "JSON" : "hex"}</span>}
            <pre class={`value ${value.kind}`}>{value.text}</pre>
          </>
        )}
      </td>
    </tr>
  );
}

/** A key or header value: text as is, bytes that are not text as hex, tagged so. */
function Short({ shown, plain = false }: { shown: ShownText; plain?: boolean }) {
  if (!shown.binary) return plain ? <>{shown.text}</> : <code>{shown.text}</code>;
  return (
    <>
      <span class="tag">hex</span> <code class="hex">{shown.text}</code>
    </>
  );
}

export function RecordTable({ records, partition, label }: { records: readonly ConsoleRecord[]; partition: number; label: string }) {
  return (
    <table class="grid records" aria-label={label}>
      <thead>
        <tr>
          <th scope="col" class="num">Offset</th>
          <th scope="col" class="num">Partition</th>
          <th scope="col">Key</th>
          <th scope="col">Timestamp</th>
          <th scope="col">Headers</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {records.map((r) => (
          <RecordRow key={r.offset} record={r} partition={partition} />
        ))}
      </tbody>
    </table>
  );
}
