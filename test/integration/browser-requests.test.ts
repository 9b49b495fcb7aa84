import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { type BrokerProcess, startBroker } from "../helpers/broker-harness.ts";

/**
 * A real broker on 127.0.0.1 without --auth, as `npm start` runs one, asked as a browser
 * would be made to ask it by a page of another site: an HTML form posting a text/plain
 * body that is valid JSON (CSRF, no preflight), and a page whose name was rebound to
 * 127.0.0.1 (DNS rebinding: the Host is the page's name). Both are refused at every door:
 * the owner's fast path (plain POST /produce, GET /consume), the app, and with
 * --workers=2 the worker threads' own fast path and what they pass on. Requests are
 * written on a socket of their own (Connection: close, so that the kernel spreads them
 * over a --workers=2 broker's threads), with exactly the headers a browser or curl sends.
 */

let single: { broker: BrokerProcess; stop: () => Promise<void> };
let double: { broker: BrokerProcess; stop: () => Promise<void> };

beforeAll(async () => {
  [single, double] = await Promise.all([startBroker({ args: ["--workers=1"] }), startBroker({ args: ["--workers=2"] })]);
});

afterAll(async () => {
  await Promise.all([single?.stop(), double?.stop()]);
});

interface Answer {
  status: number;
  body: string;
}

/** One HTTP/1.1 exchange, headers as given (Host included), on a connection of its own. */
function raw(port: number, method: string, path: string, headers: Record<string, string>, body = ""): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const lines = [`${method} ${path} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), "connection: close"];
    if (body !== "" || method === "POST") lines.push(`content-length: ${Buffer.byteLength(body)}`);
    const socket = connect(port, "127.0.0.1", () => socket.write(`${lines.join("\r\n")}\r\n\r\n${body}`));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const head = text.indexOf("\r\n\r\n");
      let rest = head < 0 ? "" : text.slice(head + 4);
      // A chunked answer (passed on by a worker): the one chunk's data.
      if (/\r\ntransfer-encoding: chunked/i.test(text.slice(0, head))) rest = rest.slice(rest.indexOf("\r\n") + 2).replace(/\r\n0\r\n\r\n$/, "");
      resolve({ status, body: rest });
    });
  });
}

/** What a browser adds to a form posted from a page of evil.example. */
const FORM_FROM_EVIL = { "content-type": "text/plain", origin: "http://evil.example", "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" };
const CROSS_SITE = JSON.stringify({ error: "FORBIDDEN", message: "cross-origin request refused: the browser says it comes from another site (Sec-Fetch-Site: cross-site)" });

function rebound(authority: string): string {
  return JSON.stringify({
    error: "FORBIDDEN",
    message: `request refused: Host ${authority} is not a name of this broker, which listens on 127.0.0.1 only (a page of another site may have pointed its name at this machine: DNS rebinding); reach it as localhost or 127.0.0.1, or listen on another interface with --host`,
  });
}

/** The same request several times: with --workers=2 each connection may go to either thread. */
const TIMES = 6;

for (const [name, which] of [
  ["--workers=1", () => single],
  ["--workers=2", () => double],
] as const) {
  describe(`a broker on 127.0.0.1 without --auth, ${name}`, () => {
    const port = (): number => which().broker.port;
    const host = (): string => `127.0.0.1:${port()}`;

    test("a cross-site text/plain form POST to /create-topic or /produce is refused 403, and nothing is created or written", async () => {
      const setup = await raw(port(), "POST", "/create-topic", { host: host() }, '{"topic":"orders","partitions":1}');
      expect(setup.status).toBe(200);
      for (let i = 0; i < TIMES; i++) {
        // text/plain form bodies are "name=value": the "=" hides inside a JSON string.
        const create = await raw(port(), "POST", "/create-topic", { host: host(), ...FORM_FROM_EVIL }, '{"topic":"pwned_by_csrf","partitions":1,"x":"="}');
        expect(create).toEqual({ status: 403, body: CROSS_SITE });
        // A plain single message: the fast path's (owner's or worker's) request.
        const produce = await raw(port(), "POST", "/produce", { host: host(), ...FORM_FROM_EVIL }, '{"topic":"orders","message":"forged="}');
        expect(produce).toEqual({ status: 403, body: CROSS_SITE });
        // An older browser sends Origin alone.
        const origin = await raw(port(), "POST", "/produce", { host: host(), "content-type": "text/plain", origin: "http://evil.example" }, '{"topic":"orders","message":"forged="}');
        expect(origin).toEqual({
          status: 403,
          body: JSON.stringify({ error: "FORBIDDEN", message: `cross-origin request refused: Origin http://evil.example is not this broker's origin (http://${host()})` }),
        });
      }
      expect(await raw(port(), "GET", "/list-topics", { host: host() })).toEqual({ status: 200, body: '{"topics":["orders"]}' });
      expect(await raw(port(), "GET", "/consume?topic=orders&partition=0&offset=0", { host: host() })).toEqual({ status: 204, body: "" });
    });

    test("the same bodies from curl (no Origin) are served, text/plain or not; the console's same-origin POST too", async () => {
      const topic = `curl_${name.replace(/\W/g, "")}`;
      expect(await raw(port(), "POST", "/create-topic", { host: host(), "content-type": "text/plain" }, `{"topic":"${topic}","partitions":1}`)).toEqual({
        status: 200,
        body: '{"status":"created"}',
      });
      for (let i = 0; i < TIMES; i++)
        expect(await raw(port(), "POST", "/produce", { host: host(), "content-type": "application/x-www-form-urlencoded" }, `{"topic":"${topic}","message":"m${i}"}`)).toEqual({
          status: 200,
          body: `{"offset":${i},"partition":0}`,
        });
      const console = await raw(
        port(),
        "POST",
        "/produce",
        { host: `localhost:${port()}`, "content-type": "application/json", origin: `http://localhost:${port()}`, "sec-fetch-site": "same-origin" },
        `{"topic":"${topic}","message":"from the console"}`,
      );
      expect(console).toEqual({ status: 200, body: `{"offset":${TIMES},"partition":0}` });
      expect(await raw(port(), "GET", `/consume?topic=${topic}&partition=0&offset=${TIMES}`, { host: `localhost:${port()}` })).toEqual({
        status: 200,
        body: '{"offset":6,"message":"from the console"}',
      });
    });

    test("Host: evil.example (DNS rebinding) is refused on GET /consume, POST /produce and any other route; loopback names are served", async () => {
      const topic = `rebind_${name.replace(/\W/g, "")}`;
      expect((await raw(port(), "POST", "/create-topic", { host: host() }, `{"topic":"${topic}","partitions":1}`)).status).toBe(200);
      const evil = `evil.example:${port()}`;
      for (let i = 0; i < TIMES; i++) {
        expect(await raw(port(), "GET", `/consume?topic=${topic}&partition=0&offset=0`, { host: evil })).toEqual({ status: 403, body: rebound(evil) });
        expect(await raw(port(), "POST", "/produce", { host: evil, "content-type": "text/plain" }, `{"topic":"${topic}","message":"rebound"}`)).toEqual({ status: 403, body: rebound(evil) });
        expect(await raw(port(), "GET", "/list-topics", { host: evil })).toEqual({ status: 403, body: rebound(evil) });
        expect(await raw(port(), "GET", "/console", { host: "evil.example" })).toEqual({ status: 403, body: rebound("evil.example") });
      }
      expect(await raw(port(), "GET", `/consume?topic=${topic}&partition=0&offset=0`, { host: host() })).toEqual({ status: 204, body: "" });
      for (const name of [`localhost:${port()}`, `127.0.0.1:${port()}`, `app.localhost:${port()}`])
        expect({ name, ...(await raw(port(), "GET", "/health", { host: name })) }).toMatchObject({ name, status: 200 });
    });
  });
}
