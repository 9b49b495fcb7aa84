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
  const once = [...(rules.once ?? []), ...queryRules.map(([name]) => name)];
  return ({ request, query, params }) => {
    if (rules.topicParam !== undefined) checkTopicParam(request.url, rules.topicParam, params);
    for (const [name, rule] of paramRules) {
      const raw = params[name];
      if (typeof raw === "string") params[name] = parseInteger(name, raw, rule);
    }
    const url = request.url;
    const mark = url.indexOf("?");
    if (mark < 0) return;
    const search = new URLSearchParams(url.slice(mark + 1));
    for (const name of once) {
      const count = search.getAll(name).length;
      if (count > 1) throw new StreamNestError("INVALID_REQUEST", `${name} is given ${count} times; give it once`);
    }
    for (const [name, rule] of queryRules) {
      const raw = search.get(name);
      if (raw !== null) query[name] = parseInteger(name, raw, rule);
    }
  };
}

export function parseInteger(name: string, raw: string, rule: IntegerRule = {}): number {
  const value = DECIMAL.test(raw) ? Number(raw) : Number.NaN;
  const { minimum, maximum } = rule;
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
  const topic = params[name];
  if (typeof topic === "string" && !topic.includes("\uFFFD")) return;
  const path = url.slice(url.indexOf("/", url.indexOf("//") + 2)).split("?")[0];
  for (const segment of path.split("/")) {
    try {
      decodeURIComponent(segment);
    } catch {
      throw new StreamNestError("INVALID_TOPIC_NAME", `topic ${quote(segment)} is not valid percent-encoding`);
    }
  }
}
