import { session } from "./session.ts";
import { tabToken } from "./token-store.ts";
import type { ErrorAnswer } from "./types.ts";

/**
 * The console's only way to the broker: the public HTTP API of the broker that served
 * the page (same origin). Calls never throw: a failure is a value the view renders, so a
 * broker error is a message in the page, never a blank screen.
 */

export interface ApiFailure {
  /** HTTP status; 0 when the broker could not be reached at all. */
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiFailure };

/** The bearer token kept for this tab (see token-store.ts), or null. */
export function readToken(): string | null {
  return tabToken.read();
}

export function writeToken(token: string): void {
  tabToken.write(token);
}

/** Request headers: JSON when there is a body, and the token as `Authorization: Bearer`. */
export function requestHeaders(token: string | null, json: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  if (json) headers["content-type"] = "application/json";
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return headers;
}

function isErrorAnswer(value: unknown): value is ErrorAnswer {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { error?: unknown }).error === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

/** The failure an answer with a non-2xx status stands for, from its `{error, message}` body when it has one. */
export function failureFromAnswer(status: number, text: string): ApiFailure {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (isErrorAnswer(body)) return { status, code: body.error, message: body.message, details: body.details };
  const snippet = text.trim().slice(0, 200);
  return { status, code: `HTTP_${status}`, message: snippet === "" ? `the broker answered ${status}` : snippet };
}

export function failureFromException(error: unknown): ApiFailure {
  const message = error instanceof Error ? error.message : String(error);
  return { status: 0, code: "UNREACHABLE", message: `the broker could not be reached (${message})` };
}

/**
 * A 401 for a request sent with `sentToken`: the console asks for a token, and forgets
 * the one it sent if that is still the tab's (revoked or expired, it is of no more use).
 */
export function noteUnauthorized(failure: ApiFailure, sentToken: string | null): void {
  const current = readToken();
  session.unauthorized(failure, sentToken, current);
  if (sentToken !== null && sentToken === current) writeToken("");
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  /** Answer text as is (e.g. Prometheus metrics) instead of JSON. */
  text?: boolean;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<ApiResult<T>> {
  const token = readToken();
  const init: RequestInit = {
    method: options.method ?? "GET",
    headers: requestHeaders(token, options.body !== undefined),
    signal: options.signal,
  };
  if (options.body !== undefined) init.body = JSON.stringify(options.body);
  let res: Response;
  let text: string;
  try {
    res = await fetch(path, init);
    text = await res.text();
  } catch (error) {
    return { ok: false, error: failureFromException(error) };
  }
  if (!res.ok) {
    const error = failureFromAnswer(res.status, text);
    if (res.status === 401) noteUnauthorized(error, token);
    return { ok: false, error };
  }
  if (options.text) return { ok: true, value: text as T };
  if (text === "") return { ok: true, value: undefined as T };
  try {
    return { ok: true, value: JSON.parse(text) as T };
  } catch {
    return { ok: false, error: { status: res.status, code: "BAD_ANSWER", message: `the broker's answer to ${path} is not JSON` } };
  }
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>(path, { signal }),
  text: (path: string, signal?: AbortSignal) => request<string>(path, { signal, text: true }),
  post: <T>(path: string, body: unknown) => request<T>(path, { method: "POST", body }),
  del: <T>(path: string) => request<T>(path, { method: "DELETE" }),
};

/** GET /admin/whoami's answer: who a token belongs to. */
export interface WhoAmI {
  principal: string;
  super_user: boolean;
  authentication: "token" | "none";
}

/**
 * Asks the broker who `token` belongs to, without keeping it: a 401 here is a wrong
 * token, told inline on the login form, not a reason to ask for a token again.
 */
export async function whoAmI(token: string | null, signal?: AbortSignal): Promise<ApiResult<WhoAmI>> {
  try {
    const res = await fetch("/admin/whoami", { headers: requestHeaders(token, false), signal });
    const text = await res.text();
    if (!res.ok) return { ok: false, error: failureFromAnswer(res.status, text) };
    return { ok: true, value: JSON.parse(text) as WhoAmI };
  } catch (error) {
    return { ok: false, error: failureFromException(error) };
  }
}

/** The permission a 403 FORBIDDEN answer names in its details, as "DESCRIBE on TOPIC orders". */
export function missingPermission(failure: ApiFailure): string | null {
  const d = failure.details;
  if (failure.status !== 403 || typeof d !== "object" || d === null) return null;
  const { operation, resource_type: type, resource_name: name } = d as Record<string, unknown>;
  if (typeof operation !== "string" || typeof type !== "string" || typeof name !== "string") return null;
  return `${operation} on ${type} ${name}`;
}

/** `/a/b` with each segment URI-encoded. */
export function pathOf(...segments: Array<string | number>): string {
  return `/${segments.map((s) => encodeURIComponent(String(s))).join("/")}`;
}
