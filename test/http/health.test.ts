import { afterEach, beforeEach, expect, test } from "bun:test";
import { VERSION } from "../../src/lib/version.ts";
import { appFixture, type AppFixture } from "./fixture.ts";

let f: AppFixture;
beforeEach(async () => {
  f = await appFixture({ id: 7, advertise: "broker7.example:8087" });
});
afterEach(async () => {
  await f.close();
});

test("GET /health says ok with id, address, version and metadata version", async () => {
  expect(await f.call("GET", "/health")).toEqual({
    status: 200,
    body: { status: "ok", id: 7, address: "broker7.example:8087", version: VERSION, metadata_version: 0, topics: 0 },
  });
  await f.call("POST", "/create-topic", { topic: "a", partitions: 1 });
  const after = await f.call("GET", "/health");
  expect([after.body.metadata_version, after.body.topics]).toEqual([1, 1]);
  // A consumer group makes the brokers' own __consumer_offsets, which is not the user's topic.
  expect((await f.call("POST", "/groups/g/members", { topics: ["a"] })).status).toBe(200);
  expect((await f.call("GET", "/list-topics?internal=true")).body).toEqual({ topics: ["__consumer_offsets", "a"] });
  expect((await f.call("GET", "/health")).body.topics).toBe(1);
});

test("a topic that exists with one partition says so in the singular", async () => {
  await f.call("POST", "/create-topic", { topic: "one", partitions: 1 });
  expect(await f.call("POST", "/create-topic", { topic: "one", partitions: 2 })).toEqual({
    status: 409,
    body: { error: "TOPIC_EXISTS", message: 'topic "one" already exists with 1 partition, not 2' },
  });
});
