import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { type BrokerConfig, brokerConfig } from "../../src/broker/config.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";
import { createApp, type StreamNestApp } from "../../src/http/app.ts";

/**
 * A real broker over a temporary data dir with its Elysia app, driven in process with
 * `app.handle(new Request(...))`: every layer runs, only the socket is skipped.
 */
export interface AppFixture {
  app: StreamNestApp;
  broker: Broker;
  dir: string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  /** Status plus parsed JSON body (null for an empty body). */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Every file under the data dir with a hash of its bytes: "nothing changed on disk". */
  snapshot(): Record<string, string>;
  /** Reopens broker and app over the same dir (a restart). */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

export async function appFixture(overrides: Partial<BrokerConfig> = {}): Promise<AppFixture> {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-http-"));
  const config = brokerConfig({ id: 1, dataDir: dir, port: 9999, ...overrides });
  const open = (): { broker: Broker; app: StreamNestApp } => {
    const broker = Broker.open(config, { metrics: new BrokerMetrics({ defaultMetrics: false }), warn: () => {} });
    return { broker, app: createApp(broker, { logError: () => {} }) };
  };
  let current = open();
  const fixture: AppFixture = {
    get app() {
      return current.app;
    },
    get broker() {
      return current.broker;
    },
    dir,
    request(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (body !== undefined) {
        init.body = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
        (init.headers as Record<string, string>)["content-type"] ??= "application/json";
      }
      return current.app.handle(new Request(`http://localhost${path}`, init));
    },
    async call(method, path, body) {
      const res = await fixture.request(method, path, body);
      const text = await res.text();
      return { status: res.status, body: text === "" ? null : JSON.parse(text) };
    },
    snapshot() {
      const out: Record<string, string> = {};
      const walk = (d: string): void => {
        for (const entry of readdirSync(d)) {
          const full = join(d, entry);
          if (statSync(full).isDirectory()) {
            out[full.slice(dir.length) + "/"] = "dir";
            walk(full);
          } else out[full.slice(dir.length)] = createHash("sha256").update(readFileSync(full)).digest("hex");
        }
      };
      walk(dir);
      return out;
    },
    async reopen() {
      await current.broker.close();
      current = open();
    },
    async close() {
      await current.broker.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** Waits until `condition` holds (bounded by the test's timeout, never asserting on time). */
export async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await Bun.sleep(5);
}

/** Current value of an unlabelled gauge. */
export async function gaugeValue(gauge: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await gauge.get()).values[0]?.value ?? 0;
}
