import { type ErrorCode, StreamNestError } from "../lib/errors.ts";

/**
 * Query and path fields read strictly, in a transform hook (it runs before Elysia
 * validates). Elysia's own number coercion is lenient: it reads `0x10` as 16, `1e3` as
 * 1000, " 1" as 1, rounds `9007199254740993` to another offset, and takes the last of
 * `?offset=1&offset=2` without a word. Here an integer is plain decimal digits, a field
 * given twice is refused, and every refusal quotes what was sent.
 */

export interface IntegerRule {
  minimum?: number;
  maximum?: number;
  /** Error code when the value is refused; INVALID_REQUEST by default. */
  code?: ErrorCode;
}

export interface FieldRules {
  /** Integer path parameters. */
  params?: Record<string, IntegerRule>;
  /** Integer query fields. */
  query?: Record<string, IntegerRule>;
  /** Other query fields that may be given at most once. */
  once?: readonly string[];
  /** Path parameter holding a topic name, checked for broken percent-encoding. */
  topicParam?: string;
  /** Other name-holding path parameters (a group, a member), checked the same way. */
  nameParams?: readonly string[];
}

interface TransformContext {
  request: Request;
  query: Record<string, unknown>;
  params: Record<string, unknown>;
}

const DECIMAL = /^-?[0-9]+$/;
const QUOTED_MAX = 40;

export function strictFields(rules: FieldRules): (context: TransformContext) => void {
  const queryRules = Object.entries(rules.query ?? {});
  const paramRules = Object.entries(rules.params ?? {});
  // The fields looked for: those given at most once, the integer ones last.
  const names = [...(rules.once ?? []).filter((name) => rules.query?.[name] === undefined), ...queryRules.map(([name]) => name)];
  const firstRule = names.length - queryRules.length;
  return ({ request, query, params }) => {
    if (rules.topicParam !== undefined) checkTopicParam(request.url, rules.topicParam, params);
    for (const name of rules.nameParams ?? []) checkNameParam(request.url, name, params);
    for (const [name, rule] of paramRules) {
      const raw = params[name];
      if (typeof raw === "string") params[name] = parseInteger(name, raw, rule);
    }
    const url = request.url;
    const mark = url.indexOf("?");
    if (mark < 0) return;
    const search = url.slice(mark + 1);
    const seen: Seen = { first: new Array<string | undefined>(names.length), count: new Array<number>(names.length).fill(0) };
    if (PLAIN_QUERY.test(search)) plainFields(search, names, seen);
    else encodedFields(search, names, seen);
    for (let k = 0; k < names.length; k++)
      if (seen.count[k] > 1) throw new StreamNestError("INVALID_REQUEST", `${names[k]} is given ${seen.count[k]} times; give it once`);
    for (let k = firstRule; k < names.length; k++) {
      const raw = seen.first[k];
      if (raw !== undefined) query[names[k]] = parseInteger(names[k], raw, queryRules[k - firstRule][1]);
    }
  };
}

/** Per field looked for: its first value and how often it was given. */
interface Seen {
  first: (string | undefined)[];
  count: number[];
}

/**
 * A query without percent-escapes or `+` reads the same raw as decoded; the common case
 * (`?topic=t&partition=0&offset=5`) is split by hand, which costs a fraction of a
 * URLSearchParams (a profile of /consume put that at a tenth of the request).
 */
const PLAIN_QUERY = /^[^%+]*$/;

/** Fills `seen` from a query without escapes, comparing names in place (no copy of each). */
function plainFields(search: string, names: readonly string[], seen: Seen): void {
  let from = 0;
  while (from <= search.length) {
    let amp = search.indexOf("&", from);
    if (amp < 0) amp = search.length;
    let eq = search.indexOf("=", from);
    if (eq < 0 || eq > amp) eq = amp;
    const length = eq - from;
    for (let k = 0; k < names.length; k++) {
      const name = names[k];
      if (name.length !== length || !search.startsWith(name, from)) continue;
      if (seen.count[k]++ === 0) seen.first[k] = eq === amp ? "" : search.slice(eq + 1, amp);
      break;
    }
    from = amp + 1;
  }
}

/** As plainFields, decoded as the URL standard says (URLSearchParams). */
function encodedFields(search: string, names: readonly string[], seen: Seen): void {
  for (const [name, value] of new URLSearchParams(search)) {
    const k = names.indexOf(name);
    if (k >= 0 && seen.count[k]++ === 0) seen.first[k] = value;
  }
}

export function parseInteger(name: string, raw: string, rule: IntegerRule = {}): number {
  const value = DECIMAL.test(raw) ? Number(raw) : Number.NaN;
  const { minimum, maximum } = rule;
  // Digits past 2^53 - 1 are an integer, just one a JSON number cannot hold exactly: say so
  // rather than that it is not an integer of at least the minimum (found by fuzzing).
  if (Number.isInteger(value) && !Number.isSafeInteger(value) && maximum === undefined)
    throw new StreamNestError(rule.code ?? "INVALID_REQUEST", `${name} must be ${integerRange(rule)} and at most ${Number.MAX_SAFE_INTEGER}, got ${quote(raw)}`);
  if (!Number.isSafeInteger(value) || (minimum !== undefined && value < minimum) || (maximum !== undefined && value > maximum))
    throw new StreamNestError(rule.code ?? "INVALID_REQUEST", `${name} must be ${integerRange(rule)}, got ${quote(raw)}`);
  return value;
}

function integerRange({ minimum, maximum }: IntegerRule): string {
  if (minimum !== undefined && maximum !== undefined) return `an integer from ${minimum} to ${maximum}`;
  if (minimum !== undefined) return `an integer of at least ${minimum}`;
  if (maximum !== undefined) return `an integer of at most ${maximum}`;
  return "an integer";
}

/** The sent text, shortened: an error must not echo a megabyte back. */
export function quote(raw: string): string {
  return JSON.stringify(raw.length > QUOTED_MAX ? `${raw.slice(0, QUOTED_MAX)}…` : raw);
}

/**
 * A path segment that is not valid percent-encoding (`%zz`) reaches the route as null
 * or decoded to U+FFFD; the refusal names what was sent instead.
 */
function checkTopicParam(url: string, name: string, params: Record<string, unknown>): void {
  const segment = brokenSegment(url, params[name]);
  if (segment !== undefined) throw new StreamNestError("INVALID_TOPIC_NAME", `topic ${quote(segment)} is not valid percent-encoding`);
}

/** As checkTopicParam, for a group's or a member's id (it read "params group: expected string, got null"). */
function checkNameParam(url: string, name: string, params: Record<string, unknown>): void {
  const segment = brokenSegment(url, params[name]);
  if (segment !== undefined) throw new StreamNestError("INVALID_REQUEST", `${name} ${quote(segment)} is not valid percent-encoding`);
}

/** The path segment that does not decode, when the parameter came out broken. */
function brokenSegment(url: string, value: unknown): string | undefined {
  if (typeof value === "string" && !value.includes("\uFFFD")) return undefined;
  const path = url.slice(url.indexOf("/", url.indexOf("//") + 2)).split("?")[0];
  for (const segment of path.split("/")) {
    try {
      decodeURIComponent(segment);
    } catch {
      return segment;
    }
  }
  return undefined;
}
