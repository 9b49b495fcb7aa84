import { ParseError, ValidationError } from "elysia";
import { type ErrorCode, StreamNestError } from "../lib/errors.ts";

/**
 * The one place where anything thrown while answering becomes an HTTP answer:
 * `{"error": CODE, "message": TEXT}` with the code's status. Elysia's own errors
 * (validation, unknown route, unreadable body) are mapped to StreamNest codes here too,
 * so a client never sees Elysia's default shapes.
 */

export interface ErrorAnswer {
  status: number;
  body: { error: ErrorCode; message: string; details?: unknown };
  /** The methods the path answers, for a 405 (RFC 9110, 15.5.6). */
  allow?: string;
}

/**
 * `allowed(path)`: the methods of the routes matching the path, so that a path that
 * exists asked with another method is a 405 naming the right ones, not a 404.
 */
export function errorAnswer(
  error: unknown,
  elysiaCode: unknown,
  method: string,
  path: string,
  allowed: (path: string) => string[] = () => [],
): ErrorAnswer {
  const cause = error instanceof ParseError && error.cause !== undefined ? error.cause : error;
  if (cause instanceof StreamNestError) return { status: cause.status, body: cause.toJSON() };
  if (error instanceof ValidationError) return { status: 400, body: { error: "INVALID_REQUEST", message: describeValidation(error) } };
  // Validating (or describing the failure of) absurdly nested JSON overflows the stack:
  // that is the client's input, not a broker fault.
  if (error instanceof RangeError && /call stack/i.test(error.message))
    return { status: 400, body: { error: "INVALID_REQUEST", message: "the request is nested too deeply" } };
  if (elysiaCode === "NOT_FOUND") {
    const methods = allowed(path);
    if (methods.length === 0) return { status: 404, body: { error: "NOT_FOUND", message: `no route ${method} ${path}` } };
    const allow = methods.join(", ");
    return { status: 405, allow, body: { error: "METHOD_NOT_ALLOWED", message: `${path} does not answer ${method}; it answers ${allow}` } };
  }
  if (elysiaCode === "PARSE")
    return { status: 400, body: { error: "INVALID_REQUEST", message: "the request body could not be read as JSON" } };
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === "number" && status >= 400 && status < 500)
    return { status, body: { error: "INVALID_REQUEST", message: (error as Error).message ?? String(error) } };
  return { status: 500, body: { error: "INTERNAL_ERROR", message: "internal error; see the broker's log" } };
}

/** "messages[1].message: expected string, got 3" from Elysia's first validation error. */
function describeValidation(error: ValidationError): string {
  const first = error.all[0] as { path?: string; message?: string; value?: unknown } | undefined;
  const path = (first?.path ?? "").slice(1).split("/");
  const fieldOf = (segments: string[]): string => segments.join(".").replace(/\.(\d+)(?=\.|$)/g, "[$1]");
  if (typeof error.customError === "string") {
    // A custom text names the field itself; inside an array it also needs the item:
    // "messages[3]: key must be a string or null", "topics[1]: topic must be a string".
    const where = fieldOf(/^\d+$/.test(path[path.length - 1]) ? path : path.slice(0, -1));
    const text = where === "" ? error.customError : `${where}: ${error.customError}`;
    if (first === undefined) return text;
    return first.value === undefined ? `${text} (it is missing)` : `${text}, got ${shown(first.value)}`;
  }
  const where = error.type === "body" ? "body" : error.type;
  if (!first) return `invalid ${where}`;
  const field = fieldOf(path);
  // The body parser answers an empty body with null (a literal null is refused there).
  if (where === "body" && field === "" && (first.value === null || first.value === undefined))
    return "the request body is empty; expected a JSON object";
  if (/^Unexpected property/i.test(first.message ?? ""))
    return `${where} field "${field}" is not known here`;
  if (first.value === undefined && /required property/i.test(first.message ?? ""))
    return `${where === "body" ? "" : `${where} `}${field} is required (it is missing)`;
  const expected = (first.message ?? "is invalid").replace(/^Expected/, "expected");
  const found = first.value === undefined ? "nothing" : shown(first.value);
  return field === "" ? `${where}: ${expected}, got ${found}` : `${where === "body" ? "" : `${where} `}${field}: ${expected}, got ${found}`;
}

const SHOWN_MAX = 80;

/**
 * A value as the client sent it, short, built without serializing all of it (a 30 MB
 * array in the wrong field must not cost 30 MB again). 1e400 parses to Infinity, which
 * JSON would show as null.
 */
function shown(value: unknown): string {
  const text = preview(value, SHOWN_MAX + 1);
  return text.length > SHOWN_MAX ? `${text.slice(0, SHOWN_MAX)}…` : text;
}

function preview(value: unknown, budget: number): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return JSON.stringify(value.length > budget ? value.slice(0, budget) : value);
  if (typeof value !== "object" || value === null) return JSON.stringify(value) ?? String(value);
  const array = Array.isArray(value);
  let out = array ? "[" : "{";
  for (const [key, item] of array ? value.entries() : Object.entries(value)) {
    if (out.length > budget) break;
    if (out.length > 1) out += ",";
    out += (array ? "" : `${JSON.stringify(key)}:`) + preview(item, budget - out.length);
  }
  return out.length > budget ? out : out + (array ? "]" : "}");
}

/** Methods per path, from the app's routes (`:param` matches one segment, `*` the rest). */
export function routeMethods(routes: readonly { method: string; path: string }[]): (path: string) => string[] {
  const patterns = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  for (const route of routes) {
    let entry = patterns.get(route.path);
    if (!entry) {
      const source = route.path
        .split("/")
        .map((segment) => (segment.startsWith(":") ? "[^/]+" : segment === "*" ? ".*" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
        .join("/");
      entry = { pattern: new RegExp(`^${source}/?$`), methods: new Set() };
      patterns.set(route.path, entry);
    }
    entry.methods.add(route.method);
    // Elysia and Bun answer HEAD with the GET handler.
    if (route.method === "GET") entry.methods.add("HEAD");
  }
  return (path) => {
    const methods = new Set<string>();
    for (const { pattern, methods: m } of patterns.values()) if (pattern.test(path)) for (const x of m) methods.add(x);
    return [...methods].sort();
  };
}
