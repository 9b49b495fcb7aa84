import { STATUS_CODES } from "node:http";

/**
 * Turns the document @elysiajs/swagger generates into valid OpenAPI 3.0.3. The plugin
 * copies the route schemas (TypeBox, i.e. JSON Schema draft-07 plus Elysia's own
 * keywords) into the document as they are, and OpenAPI 3.0 has its own schema dialect:
 * no `type: "null"`, no `patternProperties`, no `const`, no unknown keywords. Routes keep
 * their schemas as they are, since those validate the requests; only the document changes.
 */

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// Every keyword of an OpenAPI 3.0 Schema Object; anything else (Elysia's `error` text,
// TypeBox's `$id`) makes the document invalid.
const SCHEMA_KEYWORDS = new Set([
  "title", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength", "minLength",
  "pattern", "maxItems", "minItems", "uniqueItems", "maxProperties", "minProperties", "required", "enum", "type",
  "not", "allOf", "oneOf", "anyOf", "items", "properties", "additionalProperties", "description", "format",
  "default", "nullable", "discriminator", "readOnly", "writeOnly", "example", "externalDocs", "deprecated", "xml",
]);

/**
 * Elysia's t.Integer and t.Numeric are `anyOf: [{type: "string", format: "integer"},
 * {type: "integer"}]` so that query text converts; the wire form of a query or path
 * parameter is text anyway, and a JSON answer always holds the number. The number branch
 * is the contract (the string branch's `default: 0` would even show as a default).
 */
function coercedNumber(anyOf: Json[]): JsonObject | undefined {
  if (anyOf.length !== 2) return undefined;
  const [text, number] = anyOf;
  if (!isObject(text) || !isObject(number) || text.type !== "string") return undefined;
  if (text.format === "integer" && number.type === "integer") return number;
  if (text.format === "numeric" && number.type === "number") return number;
  return undefined;
}

/** One schema (and every schema inside it) in OpenAPI 3.0's dialect. */
export function toSchema30(schema: Json): Json {
  if (!isObject(schema)) return schema;
  let source: JsonObject = schema;
  const anyOf = source.anyOf;
  if (Array.isArray(anyOf)) {
    const number = coercedNumber(anyOf);
    if (number !== undefined) {
      const { anyOf: _, ...outer } = source;
      source = { ...outer, ...number };
    }
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(source)) {
    if (key.startsWith("x-")) out[key] = value;
    else if (key === "const") out.enum = [value];
    else if ((key === "exclusiveMinimum" || key === "exclusiveMaximum") && typeof value === "number") {
      // draft-06+ puts the bound in the keyword; 3.0 (draft-04) has a bound and a flag
      out[key === "exclusiveMinimum" ? "minimum" : "maximum"] = value;
      out[key] = true;
    } else if (key === "properties" && isObject(value))
      out.properties = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, toSchema30(s)]));
    else if (key === "patternProperties" && isObject(value)) {
      // t.Record(t.String(), V) is patternProperties {"^(.*)$": V}: any key, V values
      const values = Object.values(value);
      out.additionalProperties = values.length === 1 ? toSchema30(values[0]) : {};
    } else if ((key === "items" || key === "not") && isObject(value)) out[key] = toSchema30(value);
    // patternProperties, when there are any, already said which other keys may be there
    else if (key === "additionalProperties" && source.patternProperties === undefined)
      out[key] = isObject(value) ? toSchema30(value) : value;
    else if ((key === "anyOf" || key === "oneOf" || key === "allOf") && Array.isArray(value)) out[key] = value.map(toSchema30);
    else if (key === "examples" && Array.isArray(value) && value.length > 0) out.example = value[0];
    else if (SCHEMA_KEYWORDS.has(key)) out[key] = value;
  }
  return simplifyUnion(out);
}

/**
 * `anyOf` with a `{type: "null"}` branch is 3.0's `nullable: true`, and an `anyOf` of
 * constants of one type (t.Union of t.Literal) is an `enum`: both read far better in
 * Swagger UI than a list of alternatives.
 */
function simplifyUnion(schema: JsonObject): JsonObject {
  const { anyOf, ...outer } = schema;
  if (!Array.isArray(anyOf) || !anyOf.every(isObject)) return schema;
  const branches = anyOf.filter((b) => !(b.type === "null" && Object.keys(b).length === 1));
  const nullable: JsonObject = branches.length < anyOf.length ? { nullable: true } : {};
  if (branches.length === 1) return { ...branches[0], ...outer, ...nullable };
  const type = branches[0]?.type;
  const constants = branches.every(
    (b) => b.type === type && Array.isArray(b.enum) && b.enum.length === 1 && Object.keys(b).every((k) => k === "enum" || k === "type"),
  );
  if (typeof type === "string" && constants) return { type, enum: branches.flatMap((b) => b.enum as Json[]), ...outer, ...nullable };
  return { ...outer, anyOf: branches, ...nullable };
}

/**
 * An answer's media type: a response schema names it with `contentMediaType` (the SSE
 * stream's text/event-stream); otherwise a string answer is text (Prometheus metrics)
 * and anything else JSON, the only kind of body this broker sends.
 */
function mediaType(schema: JsonObject): string {
  if (typeof schema.contentMediaType === "string") return schema.contentMediaType;
  return schema.type === "string" ? "text/plain" : "application/json";
}

// The plugin gives the schema under every media type it guesses a route takes (JSON,
// multipart, text): the same schema, so the JSON one stands for them all.
function routeSchema(content: Json | undefined): JsonObject | undefined {
  if (!isObject(content)) return undefined;
  const media = content["application/json"] ?? Object.values(content)[0];
  return isObject(media) && isObject(media.schema) ? media.schema : undefined;
}

/**
 * A Response Object holds only a description and content: the plugin also spreads the
 * schema's own keywords into it (a union's `anyOf`), and leaves `description` out when
 * the schema has none, though 3.0 requires it.
 */
function toResponse30(status: string, response: Json): JsonObject {
  const source = isObject(response) ? response : {};
  const schema = routeSchema(source.content);
  // ErrorBody's own description says "every error", which names no status
  const error = Number(status) >= 400;
  const description =
    !error && typeof source.description === "string" && source.description !== ""
      ? source.description
      : (STATUS_CODES[status] ?? `Status ${status}`);
  if (schema === undefined || status === "204") return { description };
  return { description, content: { [mediaType(schema)]: { schema: toSchema30(schema) } } };
}

function toOperation30(operation: JsonObject, defaultResponse: JsonObject | undefined): JsonObject {
  const out: JsonObject = { ...operation };
  if (Array.isArray(operation.parameters))
    out.parameters = operation.parameters.map((p) => {
      if (!isObject(p) || p.schema === undefined) return p;
      const schema = toSchema30(p.schema);
      // the plugin lifts a parameter's description out of its schema, but t.Integer's
      // number branch carries a copy that would show twice
      if (isObject(schema) && schema.description === p.description) delete schema.description;
      return { ...p, schema };
    });
  if (isObject(operation.requestBody)) {
    const schema = routeSchema(operation.requestBody.content);
    // every body is parsed as JSON whatever its Content-Type (src/http/body.ts)
    if (schema !== undefined)
      out.requestBody = { ...operation.requestBody, content: { "application/json": { schema: toSchema30(schema) } } };
  }
  if (isObject(operation.responses))
    out.responses = Object.fromEntries(Object.entries(operation.responses).map(([status, r]) => [status, toResponse30(status, r)]));
  if (defaultResponse !== undefined && isObject(out.responses) && out.responses.default === undefined)
    out.responses = { ...out.responses, default: defaultResponse };
  return out;
}

/**
 * The whole generated document in OpenAPI 3.0.3; the plugin's own objects stay untouched.
 * `defaultResponse` goes to every operation: the answer to statuses a route does not list.
 */
export function toOpenApi30(doc: JsonObject, defaultResponse?: JsonObject): JsonObject {
  const paths: JsonObject = {};
  for (const [path, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
    if (!isObject(item)) continue;
    paths[path] = Object.fromEntries(
      Object.entries(item).map(([method, operation]) => [method, isObject(operation) ? toOperation30(operation, defaultResponse) : operation]),
    );
  }
  const out: JsonObject = { ...doc, paths };
  if (isObject(doc.components) && isObject(doc.components.schemas))
    out.components = {
      ...doc.components,
      schemas: Object.fromEntries(Object.entries(doc.components.schemas).map(([name, s]) => [name, toSchema30(s)])),
    };
  return out;
}
