import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { appFixture, type AppFixture } from "./fixture.ts";

/**
 * HEAD on the read routes: GET's status and headers, no body, and nothing counted as
 * consumed (`curl -I` is a look, not a read).
 */
let f: AppFixture;
beforeEach(async () => {
  f = await appFixture();
  await f.call("POST", "/create-topic", { topic: "demo", partitions: 2 });
  for (const message of ["zero", "one", "two"]) await f.call("POST", "/produce", { topic: "demo", message, partition: 0 });
});
afterEach(async () => {
  await f.close();
});

async function consumed(): Promise<string[]> {
  const text = await f.broker.metrics.text();
  return text.split("\n").filter((l) => l.startsWith("streamnest_messages_consumed_total") || l.startsWith("streamnest_bytes_consumed_total"));
}

async function requestsCounted(method: string): Promise<string[]> {
  const text = await f.broker.metrics.text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(`streamnest_http_requests_total{method="${method}"`))
    .sort();
}

/** A HEAD answers with GET's status, content type and length, and no body. */
async function expectLikeGet(path: string, status: number): Promise<void> {
  const head = await f.request("HEAD", path);
  const get = await f.request("GET", path);
  const getBody = new Uint8Array(await get.arrayBuffer());
  expect([head.status, get.status]).toEqual([status, status]);
  expect(head.headers.get("content-type")).toBe(get.headers.get("content-type"));
  expect(await head.text()).toBe("");
  if (status === 200) expect(head.headers.get("content-length")).toBe(String(getBody.length));
}

describe("HEAD", () => {
  test("/consume answers as GET would, without a body, and counts nothing as consumed", async () => {
    const before = await consumed();
    for (const path of ["/consume?topic=demo&partition=0&offset=0", "/consume?topic=demo&partition=0&offset=1&max=5"]) {
      const res = await f.request("HEAD", path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(await res.text()).toBe("");
    }
    expect((await f.request("HEAD", "/consume?topic=demo&partition=0&offset=3")).status).toBe(204);
    expect(await consumed()).toEqual(before);
    expect(await requestsCounted("HEAD")).toEqual([
      'streamnest_http_requests_total{method="HEAD",route="/consume",status="200"} 2',
      'streamnest_http_requests_total{method="HEAD",route="/consume",status="204"} 1',
    ]);
    // A GET afterwards is counted as before.
    expect(await f.call("GET", "/consume?topic=demo&partition=0&offset=0")).toEqual({ status: 200, body: { offset: 0, message: "zero" } });
    expect(await consumed()).not.toEqual(before);
  });

  test("/consume and /records carry GET's status, type and length", async () => {
    await expectLikeGet("/consume?topic=demo&partition=0&offset=0", 200);
    await expectLikeGet("/consume?topic=demo&partition=0&offset=0&max=3", 200);
    await expectLikeGet("/consume?topic=demo&partition=0&offset=9", 204);
    await expectLikeGet("/topics/demo/partitions/0/records?offset=1", 200);
    await expectLikeGet("/topics/demo/partitions/1/records?offset=0", 200);
  });

  test("/records counts nothing as consumed", async () => {
    const before = await consumed();
    const res = await f.request("HEAD", "/topics/demo/partitions/0/records?offset=0");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    expect(await consumed()).toEqual(before);
  });

  test("a bad read is refused as a GET is, and counts nothing", async () => {
    const before = await consumed();
    for (const [path, status] of [
      ["/consume?topic=demo&partition=0&offset=-1", 400],
      ["/consume?topic=demo&partition=5&offset=0", 400],
      ["/consume?topic=nope&partition=0&offset=0", 404],
      ["/topics/demo/partitions/0/records?offset=4", 400],
      ["/topics/demo/partitions/0/records/stream?offset=4", 400],
      ["/topics/demo/partitions/x/records/stream", 400],
      ["/topics/nope/partitions/0/records/stream", 404],
    ] as const) {
      const head = await f.request("HEAD", path);
      const get = await f.request("GET", path);
      expect([path, head.status]).toEqual([path, status]);
      expect([path, get.status]).toEqual([path, status]);
    }
    expect(await consumed()).toEqual(before);
  });

  test("the stream: GET's headers once the offset is checked, and no stream is left open", async () => {
    const before = await consumed();
    for (const path of ["/topics/demo/partitions/0/records/stream?offset=0", "/topics/demo/partitions/0/records/stream"]) {
      const res = await f.request("HEAD", path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      expect(await res.text()).toBe("");
    }
    expect(await consumed()).toEqual(before);
    expect((await f.broker.metrics.text()).split("\n")).toContain("streamnest_active_streams 0");
  });
});
