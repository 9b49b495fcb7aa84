import { afterEach, beforeEach, expect, test } from "bun:test";
import { appFixture, type AppFixture } from "./fixture.ts";

let f: AppFixture;
beforeEach(async () => {
  f = await appFixture();
});
afterEach(async () => {
  await f.close();
});

test("unknown routes are a JSON 404 NOT_FOUND", async () => {
  for (const [method, path] of [
    ["GET", "/nope"],
    ["GET", "/topics/a/b/c"],
    ["DELETE", "/topics/a/partitions/0"],
    ["GET", "/"],
  ]) {
    const res = await f.request(method, path);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe("NOT_FOUND");
    expect(body.message).toContain(path);
  }
});

test("a route asked with a method it does not answer is a JSON 405 naming the methods it does, in Allow too", async () => {
  for (const [method, path, allow] of [
    ["GET", "/produce", "POST"],
    ["PUT", "/produce", "POST"],
    ["OPTIONS", "/create-topic", "POST"],
    ["POST", "/topics", "GET, HEAD"],
    ["POST", "/health", "GET, HEAD"],
    ["DELETE", "/consume", "GET, HEAD"],
    ["PUT", "/topics/demo", "DELETE, GET, HEAD, PATCH"],
    ["POST", "/topics/demo/partitions/0/records", "GET, HEAD"],
    ["PUT", "/topics/demo/partitions/0/records/stream/", "GET, HEAD"],
    ["GET", "/groups/g/members", "POST"],
  ]) {
    const before = f.snapshot();
    const res = await f.request(method, path);
    expect([method, path, res.status]).toEqual([method, path, 405]);
    expect(res.headers.get("allow")).toBe(allow);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ error: "METHOD_NOT_ALLOWED", message: `${path} does not answer ${method}; it answers ${allow}` });
    expect(f.snapshot()).toEqual(before);
  }
});

test("the OpenAPI document lists every route with its body, query and answer schemas", async () => {
  const res = await f.request("GET", "/swagger/json");
  expect(res.status).toBe(200);
  const doc = (await res.json()) as { paths: Record<string, Record<string, any>> };
  const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  for (const route of [
    "POST /create-topic",
    "GET /list-topics",
    "GET /metadata",
    "POST /register-schema",
    "POST /produce",
    "GET /consume",
    "GET /metrics",
    "GET /topics",
    "GET /topics/{topic}",
    "DELETE /topics/{topic}",
    "GET /topics/{topic}/partitions/{partition}/records",
    "GET /topics/{topic}/partitions/{partition}/records/stream",
    "GET /schemas/{topic}",
    "GET /health",
  ])
    expect(routes).toContain(route);
  const produce = doc.paths["/produce"].post;
  expect(Object.keys(produce.requestBody.content["application/json"].schema.properties)).toEqual(
    expect.arrayContaining(["topic", "message", "key", "partition", "messages"]),
  );
  expect(produce.responses["200"]).toBeDefined();
  expect(produce.responses["400"]).toBeDefined();
  const consume = doc.paths["/consume"].get;
  expect(consume.parameters.map((p: { name: string }) => p.name)).toEqual(
    expect.arrayContaining(["topic", "partition", "offset", "max", "wait_ms"]),
  );
  const html = await f.request("GET", "/swagger");
  expect(html.status).toBe(200);
  expect(html.headers.get("content-type")).toContain("text/html");
});

test("absurdly nested JSON is a 400, not a 5xx", async () => {
  await f.call("POST", "/create-topic", { topic: "demo", partitions: 1 });
  const before = f.snapshot();
  const deep = "[".repeat(100_000) + "]".repeat(100_000);
  const res = await f.request("POST", "/produce", `{"topic":"demo","message":${deep}}`);
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: string }).error).toBe("INVALID_REQUEST");
  const schema = await f.request("POST", "/register-schema", `{"topic":"demo","schema":${'{"not":'.repeat(5000)}{}${"}".repeat(5000)}}`);
  expect(schema.status).toBe(400);
  expect(f.snapshot()).toEqual(before);
});
