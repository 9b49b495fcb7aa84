/**
 * The console's addresses. Everything a view shows is in its URL (topic, partition,
 * offset, where to start, the filter), so a link can be shared and reloaded.
 */

export const CONSOLE_BASE = "/console";

export type StartFrom = "beginning" | "end" | "offset" | "time";

export interface MessagesQuery {
  partition: number;
  from: StartFrom;
  offset: number | null;
  /** Milliseconds since the epoch, for `from=time`. */
  time: number | null;
  filter: string;
  live: boolean;
}

export type Route =
  | { view: "overview" }
  | { view: "topics" }
  | { view: "topic"; topic: string; messages: MessagesQuery }
  | { view: "groups" }
  | { view: "group"; group: string }
  | { view: "schemas"; topic: string | null }
  | { view: "settings" }
  | { view: "not-found"; path: string };

function intParam(params: URLSearchParams, name: string): number | null {
  const raw = params.get(name);
  if (raw === null || !/^\d+$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
}

function timeParam(params: URLSearchParams): number | null {
  const raw = params.get("time");
  if (raw === null || raw === "") return null;
  if (/^\d+$/.test(raw)) return Number(raw);
  const parsed = Date.parse(raw);
  return Number.isNaN(parsed) ? null : parsed;
}

export function parseMessagesQuery(params: URLSearchParams): MessagesQuery {
  const offset = intParam(params, "offset");
  const time = timeParam(params);
  const fromRaw = params.get("from");
  let from: StartFrom;
  if (fromRaw === "beginning" || fromRaw === "end" || fromRaw === "offset" || fromRaw === "time") from = fromRaw;
  else if (offset !== null) from = "offset";
  else if (time !== null) from = "time";
  else from = "beginning";
  return {
    partition: intParam(params, "partition") ?? 0,
    from,
    offset,
    time,
    filter: params.get("q") ?? "",
    live: params.get("live") === "1",
  };
}

/** The route for a path under /console and its query string. */
export function parseRoute(pathname: string, search: string): Route {
  const rest = pathname.startsWith(CONSOLE_BASE) ? pathname.slice(CONSOLE_BASE.length) : null;
  if (rest === null) return { view: "not-found", path: pathname };
  const parts = rest.split("/").filter((p) => p !== "");
  let segments: string[];
  try {
    segments = parts.map((p) => decodeURIComponent(p));
  } catch {
    return { view: "not-found", path: pathname };
  }
  const params = new URLSearchParams(search);
  const [first, second] = segments;
  if (segments.length === 0) return { view: "overview" };
  if (first === "topics" && segments.length === 1) return { view: "topics" };
  if (first === "topics" && segments.length === 2) return { view: "topic", topic: second, messages: parseMessagesQuery(params) };
  if (first === "groups" && segments.length === 1) return { view: "groups" };
  if (first === "groups" && segments.length === 2) return { view: "group", group: second };
  if (first === "schemas" && segments.length <= 2) return { view: "schemas", topic: second ?? null };
  if (first === "settings" && segments.length === 1) return { view: "settings" };
  return { view: "not-found", path: pathname };
}

function seg(value: string): string {
  return encodeURIComponent(value);
}

/** The query string of a messages view: only what differs from the defaults. */
export function messagesSearch(q: MessagesQuery): string {
  const params = new URLSearchParams();
  params.set("partition", String(q.partition));
  if (q.from === "offset" && q.offset !== null) params.set("offset", String(q.offset));
  else if (q.from === "time" && q.time !== null) params.set("time", new Date(q.time).toISOString());
  else if (q.from !== "beginning") params.set("from", q.from);
  if (q.filter !== "") params.set("q", q.filter);
  if (q.live) params.set("live", "1");
  return `?${params.toString()}`;
}

export function routeHref(route: Route): string {
  switch (route.view) {
    case "overview":
      return CONSOLE_BASE;
    case "topics":
      return `${CONSOLE_BASE}/topics`;
    case "topic":
      return `${CONSOLE_BASE}/topics/${seg(route.topic)}${messagesSearch(route.messages)}`;
    case "groups":
      return `${CONSOLE_BASE}/groups`;
    case "group":
      return `${CONSOLE_BASE}/groups/${seg(route.group)}`;
    case "schemas":
      return route.topic === null ? `${CONSOLE_BASE}/schemas` : `${CONSOLE_BASE}/schemas/${seg(route.topic)}`;
    case "settings":
      return `${CONSOLE_BASE}/settings`;
    case "not-found":
      return route.path;
  }
}

export const defaultMessages = (): MessagesQuery => ({ partition: 0, from: "beginning", offset: null, time: null, filter: "", live: false });
