import { describe, expect, test } from "bun:test";
import { type JsonObject, toOpenApi30, toSchema30 } from "../../src/http/openapi-document.ts";

describe("toSchema30 (JSON Schema draft-07 / TypeBox to OpenAPI 3.0's dialect)", () => {
  test("Elysia's coerced integer is its number branch", () => {
    expect(
      toSchema30({ anyOf: [{ type: "string", format: "integer", default: 0 }, { type: "integer", minimum: 0 }], description: "offset" }),
    ).toEqual({ description: "offset", type: "integer", minimum: 0 });
    expect(toSchema30({ anyOf: [{ type: "string", format: "numeric" }, { type: "number" }] })).toEqual({ type: "number" });
    // Not the coercion pattern: left a union.
    expect(toSchema30({ anyOf: [{ type: "string", format: "date" }, { type: "integer" }] })).toEqual({
      anyOf: [{ type: "string", format: "date" }, { type: "integer" }],
    });
  });

  test("const, numeric exclusive bounds, examples", () => {
    expect(toSchema30({ const: "created" })).toEqual({ enum: ["created"] });
    expect(toSchema30({ type: "integer", exclusiveMinimum: 0, exclusiveMaximum: 10 })).toEqual({
      type: "integer",
      minimum: 0,
      exclusiveMinimum: true,
      maximum: 10,
      exclusiveMaximum: true,
    });
    expect(toSchema30({ type: "string", examples: ["a", "b"] })).toEqual({ type: "string", example: "a" });
    expect(toSchema30({ type: "string", examples: [] })).toEqual({ type: "string" });
  });

  test("records (patternProperties) become additionalProperties", () => {
    // In the key order TypeBox gives t.Record(t.String(), V, { additionalProperties: false }).
    expect(toSchema30({ additionalProperties: false, type: "object", patternProperties: { "^(.*)$": { type: "string", $id: "x" } } })).toEqual({
      type: "object",
      additionalProperties: { type: "string" },
    });
    expect(toSchema30({ type: "object", patternProperties: { "^a": { type: "string" }, "^b": { type: "number" } } })).toEqual({
      type: "object",
      additionalProperties: {},
    });
    expect(toSchema30({ type: "object", additionalProperties: false })).toEqual({ type: "object", additionalProperties: false });
  });

  test("a null branch is nullable; a union of constants of one type is an enum", () => {
    expect(toSchema30({ anyOf: [{ type: "string" }, { type: "null" }] })).toEqual({ type: "string", nullable: true });
    expect(toSchema30({ anyOf: [{ const: "a", type: "string" }, { const: "b", type: "string" }], description: "d" })).toEqual({
      type: "string",
      enum: ["a", "b"],
      description: "d",
    });
    expect(toSchema30({ anyOf: [{ const: "a", type: "string" }, { const: "b", type: "string" }, { type: "null" }] })).toEqual({
      type: "string",
      enum: ["a", "b"],
      nullable: true,
    });
    expect(toSchema30({ anyOf: [{ type: "string" }, { type: "integer" }, { type: "null" }] })).toEqual({
      anyOf: [{ type: "string" }, { type: "integer" }],
      nullable: true,
    });
  });

  test("unknown keywords go, x- extensions stay, nested schemas are converted too", () => {
    const source = {
      type: "object",
      $id: "T",
      error: "custom message",
      "x-internal": true,
      required: ["a"],
      properties: {
        a: { type: "array", items: { const: 1 } },
        b: { not: { type: "null" } },
        c: { allOf: [{ const: true }] },
        d: { type: "object", additionalProperties: { const: "v" } },
      },
    };
    expect(toSchema30(source)).toEqual({
      type: "object",
      "x-internal": true,
      required: ["a"],
      properties: {
        a: { type: "array", items: { enum: [1] } },
        b: { not: { type: "null" } },
        c: { allOf: [{ enum: [true] }] },
        d: { type: "object", additionalProperties: { enum: ["v"] } },
      },
    });
    expect(toSchema30("not a schema")).toBe("not a schema");
    expect(toSchema30(null)).toBeNull();
  });
});

describe("toOpenApi30", () => {
  const doc: JsonObject = {
    openapi: "3.0.3",
    info: { title: "t", version: "1" },
    paths: {
      "/topics/{topic}": {
        get: {
          parameters: [
            { name: "max", in: "query", description: "most", schema: { anyOf: [{ type: "string", format: "integer" }, { type: "integer", description: "most" }] } },
            { name: "topic", in: "path", required: true },
          ],
          responses: {
            "200": { description: "", content: { "application/json": { schema: { type: "object", $id: "x" } } } },
            "204": { content: { "application/json": { schema: { type: "object" } } } },
            "404": { description: "every error", content: { "application/json": { schema: { type: "object" } } } },
            "418": {},
          },
        },
        post: {
          requestBody: {
            required: true,
            content: {
              "multipart/form-data": { schema: { type: "object" } },
              "application/json": { schema: { type: "object", properties: { n: { const: 1 } } } },
            },
          },
          responses: { "200": { content: { "text/plain": { schema: { type: "string" } } } } },
        },
      },
      "/stream": {
        get: { responses: { "200": { description: "events", content: { "application/json": { schema: { type: "string", contentMediaType: "text/event-stream" } } } } } },
      },
    },
    components: { schemas: { E: { type: "object", $id: "E", properties: { x: { const: "y" } } } } },
  };

  test("converts parameters, bodies, answers and components, and adds the default answer", () => {
    const fallback = { description: "Error", content: { "application/json": { schema: { $ref: "#/components/schemas/E" } } } };
    const out = toOpenApi30(doc, fallback);
    const get = (out.paths as JsonObject)["/topics/{topic}"] as JsonObject;
    expect(get.get).toEqual({
      parameters: [
        { name: "max", in: "query", description: "most", schema: { type: "integer" } },
        { name: "topic", in: "path", required: true },
      ],
      responses: {
        "200": { description: "OK", content: { "application/json": { schema: { type: "object" } } } },
        "204": { description: "No Content" },
        "404": { description: "Not Found", content: { "application/json": { schema: { type: "object" } } } },
        "418": { description: "I'm a Teapot" },
        default: fallback,
      },
    });
    expect(get.post).toEqual({
      requestBody: { required: true, content: { "application/json": { schema: { type: "object", properties: { n: { enum: [1] } } } } } },
      responses: { "200": { description: "OK", content: { "text/plain": { schema: { type: "string" } } } }, default: fallback },
    });
    expect(((out.paths as JsonObject)["/stream"] as JsonObject).get).toEqual({
      responses: { "200": { description: "events", content: { "text/event-stream": { schema: { type: "string" } } } }, default: fallback },
    });
    expect(out.components).toEqual({ schemas: { E: { type: "object", properties: { x: { enum: ["y"] } } } } });
    expect(out.info).toEqual({ title: "t", version: "1" });
  });

  test("leaves the generated document untouched", () => {
    const before = JSON.stringify(doc);
    toOpenApi30(doc);
    expect(JSON.stringify(doc)).toBe(before);
    const withoutDefault = toOpenApi30(doc);
    const responses = (((withoutDefault.paths as JsonObject)["/stream"] as JsonObject).get as JsonObject).responses as JsonObject;
    expect(Object.keys(responses)).toEqual(["200"]);
  });
});
