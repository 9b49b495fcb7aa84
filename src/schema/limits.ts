import { StreamNestError } from "../lib/errors.ts";
import { SCHEMA_LIMITS } from "../config/core.ts";
import { sameValueLoop } from "./ref-loop.ts";

/**
 * Bounds on a schema a client registers. Compiling and running a schema happen on the
 * broker's one thread, so a schema must not be able to stall it: ajv's compile time
 * grows faster than linearly with the schema (20,000 `pattern` properties, 1 MB, held a
 * broker for 20 s, long enough for its peers to count it dead), deep nesting overflows
 * its recursion, and a few hundred bytes of `$ref`s that each use the previous one twice
 * make every message cost 2^n checks (the "billion laughs" of JSON Schema).
 */
export const MAX_SCHEMA_BYTES = SCHEMA_LIMITS.maxSchemaBytes.value;
export const MAX_SCHEMA_DEPTH = SCHEMA_LIMITS.maxSchemaDepth.value;
/** Schema nodes one message may be checked against, with every `$ref` expanded. */
export const MAX_SCHEMA_CHECKS = SCHEMA_LIMITS.maxSchemaChecks.value;

const REF_KEYWORDS = ["$ref", "$dynamicRef", "$recursiveRef"] as const;

export function assertSchemaLimits(schema: Record<string, unknown>): void {
  assertSynchronous(schema);
  // Depth first, without recursion: serializing a 100,000-deep document overflows too.
  const depth = depthOf(schema);
  if (depth > MAX_SCHEMA_DEPTH)
    throw new StreamNestError("INVALID_SCHEMA", `schema is nested more than ${MAX_SCHEMA_DEPTH} levels deep; the limit is ${MAX_SCHEMA_DEPTH}`);
  const bytes = Buffer.byteLength(JSON.stringify(schema));
  if (bytes > MAX_SCHEMA_BYTES)
    throw new StreamNestError("INVALID_SCHEMA", `schema takes ${bytes} bytes as JSON; the limit is ${MAX_SCHEMA_BYTES}`);
  const targets = new RefTargets(schema);
  const loop = sameValueLoop(schema, (ref) => targets.resolve(ref));
  if (loop !== undefined)
    throw new StreamNestError(
      "INVALID_SCHEMA",
      `schema at ${loop} leads back to itself through $ref, allOf, anyOf, oneOf, not or if without descending into the message: it could never finish checking one`,
    );
  let checks: number;
  try {
    checks = expandedSize(schema);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new StreamNestError("INVALID_SCHEMA", "schema's $refs lead through too many other $refs");
  }
  if (checks > MAX_SCHEMA_CHECKS)
    throw new StreamNestError(
      "INVALID_SCHEMA",
      `schema expands to more than ${MAX_SCHEMA_CHECKS} checks per message once its $refs are followed; the limit is ${MAX_SCHEMA_CHECKS}`,
    );
}

/**
 * ajv compiles a schema whose root has a truthy `$async` into a validator that answers
 * with a Promise: every message would pass unchecked, and one that fails rejects where
 * nobody awaits it, which ended the broker's process. ajv itself refuses `$async` below
 * a root without it.
 */
function assertSynchronous(schema: Record<string, unknown>): void {
  if (!Object.hasOwn(schema, "$async") || schema.$async === false) return;
  throw new StreamNestError(
    "INVALID_SCHEMA",
    `"$async" is not supported (got ${JSON.stringify(schema.$async) ?? String(schema.$async)}): every message is checked as it is produced; remove it`,
  );
}

/**
 * A stored schema as it can be compiled: one registered before `$async` was refused
 * loses it, which checks every message exactly as the schema says, synchronously.
 */
export function withoutAsync(schema: Record<string, unknown>): Record<string, unknown> {
  if (!Object.hasOwn(schema, "$async") || schema.$async === false) return schema;
  const { $async: _ignored, ...rest } = schema;
  return rest;
}

function depthOf(root: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== "object" || node === null) continue;
    if (depth > deepest) deepest = depth;
    if (deepest > MAX_SCHEMA_DEPTH) return deepest;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * How many schema nodes a message meets, every `$ref` replaced by what it points to.
 * A `$ref` back into a node being expanded (a recursive schema: a tree, a linked list)
 * counts once: its repetition is bounded by the message, not by the schema. Refs that
 * cannot be resolved here count once; ajv refuses those that it cannot resolve either.
 */
function expandedSize(root: Record<string, unknown>): number {
  const targets = new RefTargets(root);
  const sizes = new Map<object, number>();
  const expanding = new Set<object>();
  const size = (node: unknown): number => {
    if (typeof node !== "object" || node === null) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (expanding.has(node)) return 1;
    expanding.add(node);
    let total = 1;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      total += size(child);
      if (total > MAX_SCHEMA_CHECKS) break;
    }
    if (!Array.isArray(node))
      for (const keyword of REF_KEYWORDS) {
        const ref = (node as Record<string, unknown>)[keyword];
        if (typeof ref !== "string" || total > MAX_SCHEMA_CHECKS) continue;
        const target = targets.resolve(ref);
        if (target !== undefined) total += size(target);
      }
    expanding.delete(node);
    sizes.set(node, total);
    return total;
  };
  return size(root);
}

/** Where a `$ref` inside the document points: a JSON pointer, an `$anchor`, or an `$id`. */
class RefTargets {
  private readonly byId = new Map<string, unknown>();
  private readonly byAnchor = new Map<string, unknown>();

  constructor(private readonly root: Record<string, unknown>) {
    const stack: unknown[] = [root];
    while (stack.length > 0) {
      const node = stack.pop();
      if (typeof node !== "object" || node === null) continue;
      if (!Array.isArray(node)) {
        const { $id, $anchor, $dynamicAnchor, $recursiveAnchor } = node as Record<string, unknown>;
        if (typeof $id === "string") {
          if ($id.startsWith("#")) this.byAnchor.set($id.slice(1), node);
          else {
            const id = stripFragment($id);
            this.byId.set(id, node);
            if (!this.byId.has(lastSegment(id))) this.byId.set(lastSegment(id), node);
          }
        }
        for (const anchor of [$anchor, $dynamicAnchor]) if (typeof anchor === "string") this.byAnchor.set(anchor, node);
        if ($recursiveAnchor === true) this.byAnchor.set("", node);
      }
      for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push(child);
    }
  }

  resolve(ref: string): unknown {
    const hash = ref.indexOf("#");
    const base = hash < 0 ? ref : ref.slice(0, hash);
    const fragment = hash < 0 ? "" : ref.slice(hash + 1);
    const document = base === "" ? this.root : this.byId.get(base) ?? this.byId.get(lastSegment(base));
    if (document === undefined) return undefined;
    if (fragment === "" || fragment.startsWith("/")) return pointer(document, fragment);
    return this.byAnchor.get(decodeSafely(fragment));
  }
}

function pointer(document: unknown, fragment: string): unknown {
  let node = document;
  for (const raw of fragment.split("/").slice(1)) {
    const key = decodeSafely(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function stripFragment(id: string): string {
  const hash = id.indexOf("#");
  return hash < 0 ? id : id.slice(0, hash);
}

/** A relative `$id` ("item.json") matches a ref to its resolved form and vice versa. */
function lastSegment(uri: string): string {
  return uri.slice(uri.lastIndexOf("/") + 1);
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
