import { expect, test } from "bun:test";
import { guardedFetch } from "../../src/http/browser-guard.ts";
import type { ServeFetch } from "../../src/http/fast-path.ts";

/** The door in front of a broker's socket (browser-guard.ts): what it refuses, and what it leaves untouched. */

const served: ServeFetch = () => new Response("served");
const server = {} as Parameters<ServeFetch>[1];

/** A request whose Headers throw when built: the hot GET /consume must never build them. */
function headerless(method: string, url: string): Request {
  return {
    method,
    url,
    get headers(): Headers {
      throw new Error("Headers built");
    },
  } as unknown as Request;
}

test("a GET is checked by its URL alone: its Headers are never built", async () => {
  const door = guardedFetch(served, "127.0.0.1", ["localhost:8080"]);
  expect(await (await door(headerless("GET", "http://localhost:8080/consume?topic=t&partition=0&offset=0"), server)).text()).toBe("served");
  const refused = await door(headerless("GET", "http://evil.example:8080/consume?topic=t&partition=0&offset=0"), server);
  expect(refused.status).toBe(403);
  expect(((await refused.json()) as { message: string }).message).toStartWith("request refused: Host evil.example:8080 is not a name of this broker");
});

test("a broker listening beyond loopback does not check the Host, but refuses a cross-origin POST", async () => {
  const door = guardedFetch(served, "0.0.0.0", []);
  expect(await (await door(headerless("GET", "http://evil.example/topics"), server)).text()).toBe("served");
  const post = await door(new Request("http://broker.lan:8080/produce", { method: "POST", headers: { origin: "http://evil.example" }, body: "{}" }), server);
  expect({ status: post.status, body: await post.json() }).toEqual({
    status: 403,
    body: { error: "FORBIDDEN", message: "cross-origin request refused: Origin http://evil.example is not this broker's origin (http://broker.lan:8080)" },
  });
  const curl = await door(new Request("http://broker.lan:8080/produce", { method: "POST", body: "{}" }), server);
  expect(await curl.text()).toBe("served");
});
