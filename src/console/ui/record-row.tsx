import { Component } from "preact";
import { formatTime } from "../format.ts";
import { formatValue } from "../message-format.ts";
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
  const value = record.message === null ? null : formatValue(record.message);
  const headers = Object.entries(record.headers);
  return (
    <tr data-offset={record.offset}>
      <td class="num">{record.offset}</td>
      <td class="num">{partition}</td>
      <td>{record.key === null ? <span class="muted">null</span> : <code>{record.key}</code>}</td>
      <td>{formatTime(record.timestamp)}</td>
      <td>
        {headers.length === 0 ? (
          <span class="muted">—</span>
        ) : (
          headers.map(([k, v]) => (
            <div key={k}>
              <code>{k}</code>: {v}
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
