/**
 * A schema that reaches itself again without descending into the message (`{"$ref":"#"}`,
 * or `{"anyOf":[{"$ref":"#"}]}`) asks the validator to check the same value against the
 * same schema forever: ajv recursed until the stack ran out, and every produce to the
 * topic failed with "nested too deeply". JSON Schema (2020-12 core §9.4.1) calls such a
 * loop an error; it is refused at registration. A `$ref` reached only below a
 * `properties`/`items`-like keyword is fine: each turn then consumes a level of the message.
 */

/** Keywords whose subschemas apply to the same value as their parent. */
const SAME_VALUE_ARRAYS = ["allOf", "anyOf", "oneOf"] as const;
const SAME_VALUE_SINGLE = ["not", "if", "then", "else"] as const;
const SAME_VALUE_MAPS = ["dependentSchemas"] as const;
const REFS = ["$ref", "$dynamicRef", "$recursiveRef"] as const;

/** The JSON pointer of a schema node on a same-value loop, or undefined when there is none. */
export function sameValueLoop(root: Record<string, unknown>, resolve: (ref: string) => unknown): string | undefined {
  const paths = new Map<object, string>();
  const stack: Array<[unknown, string]> = [[root, ""]];
  while (stack.length > 0) {
    const [node, path] = stack.pop() as [unknown, string];
    if (typeof node !== "object" || node === null || paths.has(node)) continue;
    paths.set(node, path);
    for (const [key, child] of Object.entries(node)) stack.push([child, `${path}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`]);
  }
  const next = (node: object): object[] => {
    if (Array.isArray(node)) return [];
    const n = node as Record<string, unknown>;
    const out: unknown[] = [];
    for (const k of SAME_VALUE_ARRAYS) if (Array.isArray(n[k])) out.push(...(n[k] as unknown[]));
    for (const k of SAME_VALUE_SINGLE) out.push(n[k]);
    for (const k of SAME_VALUE_MAPS) if (typeof n[k] === "object" && n[k] !== null) out.push(...Object.values(n[k] as object));
    for (const k of REFS) if (typeof n[k] === "string") out.push(resolve(n[k] as string));
    return out.filter((c): c is object => typeof c === "object" && c !== null);
  };
  // Iterative depth-first search with three colours (on the stack / done).
  const state = new Map<object, "open" | "done">();
  for (const start of paths.keys()) {
    if (state.has(start)) continue;
    const walk: Array<{ node: object; children: object[]; i: number }> = [{ node: start, children: next(start), i: 0 }];
    state.set(start, "open");
    while (walk.length > 0) {
      const top = walk[walk.length - 1] as { node: object; children: object[]; i: number };
      if (top.i === top.children.length) {
        state.set(top.node, "done");
        walk.pop();
        continue;
      }
      const child = top.children[top.i++] as object;
      const seen = state.get(child);
      if (seen === "open") return `#${paths.get(child) ?? ""}`;
      if (seen === "done") continue;
      state.set(child, "open");
      walk.push({ node: child, children: next(child), i: 0 });
    }
  }
  return undefined;
}
