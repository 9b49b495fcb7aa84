import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { appFixture, type AppFixture } from "./fixture.ts";

let f: AppFixture;
beforeEach(async () => {
  f = await appFixture();
  await f.call("POST", "/create-topic", { topic: "users", partitions: 1 });
});
afterEach(async () => {
  await f.close();
});

const USER = {
  type: "object",
  required: ["name", "age"],
  properties: { name: { type: "string" }, age: { type: "integer", minimum: 0 }, email: { type: "string", format: "email" } },
  additionalProperties: false,
};

describe("POST /register-schema", () => {
  test("registers, then enforces on produce", async () => {
    expect(await f.call("POST", "/register-schema", { topic: "users", schema: USER })).toEqual({
      status: 200,
      body: { status: "schema registered", version: 1 },
    });
    const ok = await f.call("POST", "/produce", { topic: "users", message: JSON.stringify({ name: "ada", age: 36 }) });
    expect(ok).toEqual({ status: 200, body: { offset: 0, partition: 0 } });
  });

  test("a violating message is 400 SCHEMA_VIOLATION listing every error, and nothing is written", async () => {
    await f.call("POST", "/register-schema", { topic: "users", schema: USER });
    const before = f.snapshot();
    const res = await f.call("POST", "/produce", {
      topic: "users",
      message: JSON.stringify({ age: -1, email: "not-an-email", extra: true }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("SCHEMA_VIOLATION");
    const violations = res.body.details.violations.map((v: { path: string; keyword: string }) => `${v.path} ${v.keyword}`).sort();
    expect(violations).toEqual([" additionalProperties", " required", "/age minimum", "/email format"]);
    expect(res.body.message).toContain("name");
    expect(res.body.message).toContain("extra");
    expect(res.body.message).toContain("/age");
    expect(res.body.details.schema_version).toBe(1);
    expect(f.snapshot()).toEqual(before);
    expect((await f.call("GET", "/topics/users")).body.partitions[0].end_offset).toBe(0);
  });

  test("a message that is not JSON is refused with SCHEMA_VIOLATION", async () => {
    await f.call("POST", "/register-schema", { topic: "users", schema: USER });
    const res = await f.call("POST", "/produce", { topic: "users", message: "{not json" });
    expect([res.status, res.body.error]).toEqual([400, "SCHEMA_VIOLATION"]);
    expect(res.body.message).toContain("not valid JSON");
  });

  test("in a batch only the failing messages are refused", async () => {
    await f.call("POST", "/register-schema", { topic: "users", schema: USER });
    const res = await f.call("POST", "/produce", {
      topic: "users",
      messages: [
        { message: JSON.stringify({ name: "a", age: 1 }) },
        { message: JSON.stringify({ name: "b" }) },
        { message: "nope" },
        { message: JSON.stringify({ name: "c", age: 3 }) },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.results[0]).toEqual({ partition: 0, offset: 0 });
    expect(res.body.results[1].error).toBe("SCHEMA_VIOLATION");
    expect(res.body.results[1].message).toContain("age");
    expect(res.body.results[2].error).toBe("SCHEMA_VIOLATION");
    expect(res.body.results[3]).toEqual({ partition: 0, offset: 1 });
  });

  test("registering again adds a version; old messages stay; the newest is enforced", async () => {
    await f.call("POST", "/produce", { topic: "users", message: "free text before any schema" });
    await f.call("POST", "/register-schema", { topic: "users", schema: USER });
    const v2 = { type: "object", required: ["id"], properties: { id: { type: "integer" } } };
    expect((await f.call("POST", "/register-schema", { topic: "users", schema: v2 })).body).toEqual({
      status: "schema registered",
      version: 2,
    });
    expect((await f.call("POST", "/produce", { topic: "users", message: JSON.stringify({ name: "a", age: 1 }) })).body.error).toBe(
      "SCHEMA_VIOLATION",
    );
    expect((await f.call("POST", "/produce", { topic: "users", message: JSON.stringify({ id: 7 }) })).status).toBe(200);
    const read = await f.call("GET", "/topics/users/partitions/0/records?offset=0");
    expect(read.body.records.map((r: { message: string }) => r.message)).toEqual(["free text before any schema", '{"id":7}']);
    const versions = await f.call("GET", "/schemas/users");
    expect(versions.status).toBe(200);
    expect(versions.body.topic).toBe("users");
    expect(versions.body.versions.map((v: { version: number; schema: unknown }) => [v.version, v.schema])).toEqual([
      [1, USER],
      [2, v2],
    ]);
    expect(typeof versions.body.versions[0].registered_at).toBe("number");
    expect((await f.call("GET", "/topics/users")).body.schema_version).toBe(2);
  });

  test("draft 2020-12 schemas are compiled with the 2020-12 dialect", async () => {
    const schema = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "array",
      prefixItems: [{ type: "string" }, { type: "number" }],
      items: false,
    };
    expect((await f.call("POST", "/register-schema", { topic: "users", schema })).status).toBe(200);
    expect((await f.call("POST", "/produce", { topic: "users", message: '["a", 1]' })).status).toBe(200);
    const res = await f.call("POST", "/produce", { topic: "users", message: '["a", 1, 2]' });
    expect([res.status, res.body.error]).toEqual([400, "SCHEMA_VIOLATION"]);
  });

  const bad: [string, unknown, string][] = [
    ["an array", [{ type: "string" }], "JSON object"],
    ["a string", "string", "JSON object"],
    ["a number", 5, "JSON object"],
    ["null", null, "JSON object"],
    ["one that does not compile", { type: "objec" }, "type"],
    ["a bad $ref", { $ref: "http://example.com/remote.json" }, "resolve reference"],
    ["an unsupported $schema", { $schema: "http://json-schema.org/draft-04/schema#", type: "string" }, "unsupported"],
    ["bad keyword values", { type: "string", minLength: -1 }, "minLength"],
    ["an unknown format", { type: "string", format: "emial" }, 'unknown format "emial"'],
    ["$async (ajv would answer with a Promise and check nothing)", { $async: true, type: "object", required: ["id"] }, '"$async" is not supported'],
    ["$async at a nested schema", { type: "object", properties: { a: { $async: true, type: "string" } } }, "async schema"],
    ["a $ref to itself", { definitions: { a: { $ref: "#/definitions/a" } }, $ref: "#/definitions/a" }, "leads back to itself"],
    ["over 64 KiB", { type: "object", properties: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`p${i}`, { type: "string", pattern: `^a+b${i}$` }])) }, "the limit is 65536"],
    // Deeper than a schema may be, within what a request body may nest (100 levels).
    ["nested 70 deep", JSON.parse(`${'{"items":'.repeat(70)}{}${"}".repeat(70)}`), "nested more than 64 levels"],
    [
      "2^30 checks per message by doubling $refs",
      {
        definitions: Object.fromEntries([["d0", { type: "string" }], ...Array.from({ length: 30 }, (_, i) => [`d${i + 1}`, { allOf: [{ $ref: `#/definitions/d${i}` }, { $ref: `#/definitions/d${i}` }] }])]),
        $ref: "#/definitions/d30",
      },
      "checks per message",
    ],
  ];
  test("a schema nested 5,000 deep is refused with the body, before it is parsed, and nothing is stored", async () => {
    const before = f.snapshot();
    const prefix = '{"topic":"users","schema":';
    const body = `${prefix}${'{"items":'.repeat(5000)}{}${"}".repeat(5000)}}`;
    const res = await f.request("POST", "/register-schema", body, { "content-type": "application/json" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string; message: string })).toEqual({
      error: "INVALID_REQUEST",
      // The body is level 1, the schema level 2: the 100th "items" opens level 101.
      message: `the request body nests arrays and objects more than 100 levels deep (at byte ${prefix.length + 99 * '{"items":'.length}); the limit is 100`,
    });
    expect(f.snapshot()).toEqual(before);
  });

  for (const [label, schema, mention] of bad)
    test(`a schema that is ${label} is 400 INVALID_SCHEMA and stores nothing`, async () => {
      const before = f.snapshot();
      const res = await f.call("POST", "/register-schema", { topic: "users", schema });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe("INVALID_SCHEMA");
      expect(res.body.message).toContain(mention);
      expect(f.snapshot()).toEqual(before);
      expect((await f.call("GET", "/schemas/users")).body.versions).toEqual([]);
    });

  test("a missing schema is 400 naming it; unknown topic 404; bad name 400", async () => {
    const missing = await f.call("POST", "/register-schema", { topic: "users" });
    expect([missing.status, missing.body.error]).toEqual([400, "INVALID_REQUEST"]);
    expect(missing.body.message).toContain("schema");
    const unknown = await f.call("POST", "/register-schema", { topic: "nope", schema: USER });
    expect([unknown.status, unknown.body.error]).toEqual([404, "TOPIC_NOT_FOUND"]);
    const badName = await f.call("POST", "/register-schema", { topic: "../x", schema: USER });
    expect([badName.status, badName.body.error]).toEqual([400, "INVALID_TOPIC_NAME"]);
    const noTopic = await f.call("POST", "/register-schema", { schema: USER });
    expect([noTopic.status, noTopic.body.error]).toEqual([400, "INVALID_REQUEST"]);
  });
});

describe("GET /schemas/:topic", () => {
  test("an empty list without a schema; 404 for unknown topics", async () => {
    expect(await f.call("GET", "/schemas/users")).toEqual({ status: 200, body: { topic: "users", versions: [] } });
    const res = await f.call("GET", "/schemas/nope");
    expect([res.status, res.body.error]).toEqual([404, "TOPIC_NOT_FOUND"]);
  });
});

describe("a schema that loops on one value (issue 14)", () => {
  test('{"$ref":"#"} and its disguises are refused at registration, and produce keeps working', async () => {
    const loops: Array<[Record<string, unknown>, string]> = [
      [{ $ref: "#" }, "#"],
      [{ anyOf: [{ type: "string" }, { $ref: "#" }] }, "#"],
      [{ definitions: { a: { $ref: "#/definitions/b" }, b: { allOf: [{ $ref: "#/definitions/a" }] } }, properties: { x: { $ref: "#/definitions/a" } } }, "#/definitions/a"],
      [{ $schema: "https://json-schema.org/draft/2020-12/schema", $defs: { n: { not: { $ref: "#/$defs/n" } } }, $ref: "#/$defs/n" }, "#/$defs/n"],
    ];
    for (const [schema, at] of loops) {
      const res = await f.call("POST", "/register-schema", { topic: "users", schema });
      expect(res).toEqual({
        status: 400,
        body: {
          error: "INVALID_SCHEMA",
          message: `schema at ${at} leads back to itself through $ref, allOf, anyOf, oneOf, not or if without descending into the message: it could never finish checking one`,
        },
      });
    }
    expect(await f.call("POST", "/produce", { topic: "users", message: "{}" })).toEqual({ status: 200, body: { offset: 0, partition: 0 } });
  });

  test("recursion through the message (a tree) still registers and validates to any depth", async () => {
    const tree = { type: "object", properties: { value: { type: "integer" }, children: { type: "array", items: { $ref: "#" } } } };
    expect((await f.call("POST", "/register-schema", { topic: "users", schema: tree })).status).toBe(200);
    const deep = JSON.stringify({ value: 1, children: [{ value: 2, children: [{ value: 3, children: [] }] }] });
    expect((await f.call("POST", "/produce", { topic: "users", message: deep })).status).toBe(200);
    const bad = await f.call("POST", "/produce", { topic: "users", message: JSON.stringify({ children: [{ children: [{ value: "x" }] }] }) });
    expect([bad.status, bad.body.details.violations[0].path]).toEqual([400, "/children/0/children/0/value"]);
  });
});
