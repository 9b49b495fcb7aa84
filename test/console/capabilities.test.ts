import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { acceptedTopicSettings, bodyProperties } from "../../src/console/capabilities.ts";
import { type AppFixture, appFixture } from "../http/fixture.ts";

let fixture: AppFixture;
beforeAll(async () => {
  fixture = await appFixture();
});
afterAll(async () => {
  await fixture.close();
});

describe("what the broker's API accepts", () => {
  test("today's create-topic takes a name, a partition count, the replication and retention settings, which the form offers", async () => {
    const doc = (await fixture.call("GET", "/swagger/json")).body;
    expect([...bodyProperties(doc, "/create-topic")].sort()).toEqual(["min_insync_replicas", "partitions", "replication_factor", "retention_bytes", "retention_ms", "topic"]);
    expect(acceptedTopicSettings(doc).map((s) => s.field)).toEqual(["replication_factor", "min_insync_replicas", "retention_ms", "retention_bytes"]);
  });

  test("a settings field appears once the body schema declares it", () => {
    const doc = {
      paths: {
        "/create-topic": {
          post: {
            requestBody: {
              content: { "application/json": { schema: { properties: { topic: {}, partitions: {}, replication_factor: {}, retention_ms: {} } } } },
            },
          },
        },
      },
    };
    expect(acceptedTopicSettings(doc).map((s) => s.field)).toEqual(["replication_factor", "retention_ms"]);
    expect(acceptedTopicSettings(null)).toEqual([]);
    expect(bodyProperties({ paths: {} }, "/create-topic").size).toBe(0);
  });
});
