import { type AclBinding, type Resource, type ResourceType, WILDCARD_RESOURCE } from "./acl.ts";

interface TypeIndex {
  readonly literal: Map<string, AclBinding[]>;
  readonly prefixed: Map<string, AclBinding[]>;
  /** Distinct prefix lengths, ascending: a lookup probes only these, not every length. */
  prefixLengths: number[];
}

/**
 * ACL bindings indexed by resource, so that a check (made on every produce and fetch) costs
 * the bindings that can match that resource, not all bindings: a map probe for the exact
 * name, one for `*`, and one per distinct prefix length in use. Immutable: build a new index
 * when the bindings change (rare next to checks).
 */
export class AclIndex {
  readonly #types = new Map<ResourceType, TypeIndex>();
  readonly size: number;

  constructor(bindings: Iterable<AclBinding>) {
    let size = 0;
    for (const binding of bindings) {
      size++;
      let index = this.#types.get(binding.resourceType);
      if (!index) {
        index = { literal: new Map(), prefixed: new Map(), prefixLengths: [] };
        this.#types.set(binding.resourceType, index);
      }
      const map = binding.patternType === "PREFIXED" ? index.prefixed : index.literal;
      const list = map.get(binding.resourceName);
      if (list) list.push(binding);
      else map.set(binding.resourceName, [binding]);
    }
    for (const index of this.#types.values())
      index.prefixLengths = [...new Set([...index.prefixed.keys()].map((p) => p.length))].sort((a, b) => a - b);
    this.size = size;
  }

  /** Every binding whose pattern matches the resource, of any principal and permission. */
  matching(resource: Resource): AclBinding[] {
    const index = this.#types.get(resource.type);
    if (!index) return [];
    const out: AclBinding[] = [];
    const exact = index.literal.get(resource.name);
    if (exact) out.push(...exact);
    if (resource.name !== WILDCARD_RESOURCE) {
      const wildcard = index.literal.get(WILDCARD_RESOURCE);
      if (wildcard) out.push(...wildcard);
    }
    for (const length of index.prefixLengths) {
      if (length > resource.name.length) break;
      const prefixed = index.prefixed.get(resource.name.slice(0, length));
      if (prefixed) out.push(...prefixed);
    }
    return out;
  }
}
