import type { ComponentChildren } from "preact";
import { type ApiFailure, type ApiResult, missingPermission } from "../api.ts";

export function ErrorMessage({ error, what }: { error: ApiFailure; what?: string }) {
  const violations = violationsOf(error.details);
  const missing = missingPermission(error);
  if (missing !== null)
    return (
      <div class="error" role="alert" data-testid="forbidden">
        <strong>{what === undefined ? "" : `${what}: `}not permitted</strong>
        <span class="muted"> (HTTP 403)</span>
        <div>
          Missing permission: <strong data-testid="missing-permission">{missing}</strong>
        </div>
        <div>{error.message}</div>
      </div>
    );
  return (
    <div class="error" role="alert">
      <strong>{what === undefined ? "" : `${what}: `}{error.code}</strong>
      {error.status > 0 ? <span class="muted"> (HTTP {error.status})</span> : null}
      <div>{error.message}</div>
      {violations.length > 0 ? (
        <ul class="violations">
          {violations.map((v, i) => (
            <li key={i}>
              <code>{v.path === "" ? "(message)" : v.path}</code> {v.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function violationsOf(details: unknown): Array<{ path: string; message: string }> {
  if (typeof details !== "object" || details === null) return [];
  const list = (details as { violations?: unknown }).violations;
  if (!Array.isArray(list)) return [];
  return list
    .filter((v): v is { path: string; message: string } => typeof v === "object" && v !== null && typeof v.message === "string")
    .map((v) => ({ path: typeof v.path === "string" ? v.path : "", message: v.message }));
}

/** Renders the answer, an error message, or a loading line: never nothing. */
export function Loaded<T>({ result, what, children }: { result: ApiResult<T> | null; what: string; children: (value: T) => ComponentChildren }) {
  if (result === null) return <p class="muted" aria-busy="true">Loading {what}…</p>;
  if (!result.ok) return <ErrorMessage error={result.error} what={`Could not load ${what}`} />;
  return <>{children(result.value)}</>;
}

export function Sparkline({ values, label }: { values: readonly number[]; label: string }) {
  const width = 120;
  const height = 28;
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - (v / max) * (height - 2) - 1).toFixed(1)}`).join(" ");
  return (
    <svg class="spark" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      {values.length > 1 ? <polyline points={points} fill="none" stroke="currentColor" stroke-width="1.5" /> : null}
    </svg>
  );
}

export function Stat({ label, value, tone, children }: { label: string; value: string; tone?: "warn" | "ok"; children?: ComponentChildren }) {
  return (
    <div class={`stat${tone === undefined ? "" : ` ${tone}`}`}>
      <div class="stat-label">{label}</div>
      <div class="stat-value" data-stat={label}>
        {value}
      </div>
      {children}
    </div>
  );
}

export function NotReported() {
  return <span class="muted" title="Not in this broker's API answers yet">not reported</span>;
}
