import { describe, expect, test } from "bun:test";
import { Histogram, Registry } from "prom-client";
import { CheapHistogram } from "../../src/metrics/cheap-histogram.ts";

const BUCKETS = [0.00005, 0.0001, 0.001, 0.01, 1];
// On a bound, between bounds, past the last one, zero.
const VALUES = [0.00005, 0.00007, 0.0001, 0.0005, 0.002, 0.01, 0.5, 1, 3, 0, 0.00004];

function pair(): { cheap: CheapHistogram; plain: Histogram; registry: Registry; plainRegistry: Registry } {
  const registry = new Registry();
  const plainRegistry = new Registry();
  const cheap = new CheapHistogram({ name: "t_seconds", help: "h", buckets: BUCKETS, registers: [registry] });
  const plain = new Histogram({ name: "t_seconds", help: "h", buckets: BUCKETS, registers: [plainRegistry] });
  return { cheap, plain, registry, plainRegistry };
}

describe("CheapHistogram", () => {
  test("record counts exactly as prom-client's observe: buckets, sum, count and the scrape text", async () => {
    const { cheap, plain, registry, plainRegistry } = pair();
    for (const v of VALUES) {
      cheap.record(v);
      plain.observe(v);
    }
    expect(await cheap.get()).toEqual(await plain.get());
    expect(await registry.metrics()).toBe(await plainRegistry.metrics());
    const values = (await cheap.get()).values;
    expect(values.find((v) => v.labels.le === 0.0001)?.value).toBe(5);
    expect(values.find((v) => v.labels.le === "+Inf")?.value).toBe(VALUES.length);
  });

  test("after a reset it counts from zero; observe and record add to one state", async () => {
    const { cheap, plain } = pair();
    cheap.record(0.5);
    cheap.reset();
    plain.observe(0.5);
    plain.reset();
    cheap.record(0.002);
    plain.observe(0.002);
    cheap.observe(0.00007);
    plain.observe(0.00007);
    cheap.record(0.00007);
    plain.observe(0.00007);
    expect(await cheap.get()).toEqual(await plain.get());
    expect((await cheap.get()).values.find((v) => v.metricName === "t_seconds_count")?.value).toBe(3);
  });

  test("a value that is not a finite number is refused as prom-client refuses it", () => {
    const { cheap } = pair();
    expect(() => cheap.record(Number.NaN)).toThrow("Value is not a valid number");
  });

  test("labels are refused", () => {
    expect(() => new CheapHistogram({ name: "l_seconds", help: "h", labelNames: ["a"], registers: [] })).toThrow("has no labels");
  });
});
