import type { Ajv, ErrorObject, FuncKeywordDefinition } from "ajv";

/**
 * `uniqueItems` in linear time. ajv compares every pair of items whose type it cannot
 * tell from the schema (fast-deep-equal, n² / 2 comparisons): a 289 KB array of 50,000
 * numbers under `{"type":"array","uniqueItems":true}` held the broker's thread long enough
 * to lose its leaderships (found by a tester; any client that may write to such a topic
 * could send one). Here each item is keyed by its canonical JSON (object keys sorted),
 * and a repeated key is a duplicate: the equality JSON Schema defines (and ajv's), found
 * in one pass. The error is ajv's own, naming the two items.
 */
export function useLinearUniqueItems(ajv: Ajv): void {
  ajv.removeKeyword("uniqueItems");
  ajv.addKeyword(definition);
}

const definition: FuncKeywordDefinition = {
  keyword: "uniqueItems",
  type: "array",
  schemaType: "boolean",
  errors: true,
  validate: function uniqueItems(unique: boolean, data: unknown[]): boolean {
    const self = uniqueItems as typeof uniqueItems & { errors?: Partial<ErrorObject>[] };
    self.errors = undefined;
    if (!unique) return true;
    const seen = new Map<string, number>();
    for (let i = 0; i < data.length; i++) {
      const key = canonical(data[i]);
      const j = seen.get(key);
      if (j !== undefined) {
        self.errors = [{ keyword: "uniqueItems", message: `must NOT have duplicate items (items ## ${j} and ${i} are identical)`, params: { i, j } }];
        return false;
      }
      seen.set(key, i);
    }
    return true;
  },
};

/** JSON text with every object's keys in order: equal for deep-equal values, and only for them. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`)
      .join(",")}}`;
  }
  // -0 and 0 are the same JSON number, as JSON.stringify writes both "0".
  return JSON.stringify(value);
}
