import { describe, expect, test } from "bun:test";
import { DEFAULTS, parseOptions } from "../../../scripts/chaos/options.ts";

describe("the chaos run's flags", () => {
  test("every flag read, the rest defaulted", () => {
    expect(parseOptions(["--duration=30", "--brokers=5", "--faults=pause,kill", "--seed=42", "--partitions=6", "--producers=2", "--quiet"], {})).toEqual({
      ...DEFAULTS,
      durationS: 30,
      brokers: 5,
      faults: ["pause", "kill"],
      seed: 42,
      partitions: 6,
      producers: 2,
      verbose: false,
      bin: undefined,
    });
  });

  test("the binary from --bin or STREAMNEST_BIN; faults none; no --metadata-quorum (the metadata is always the quorum)", () => {
    expect(parseOptions(["--seed=1"], { STREAMNEST_BIN: "dist/streamnest" }).bin).toBe("dist/streamnest");
    expect(parseOptions(["--seed=1", "--bin=x"], { STREAMNEST_BIN: "y" }).bin).toBe("x");
    expect(parseOptions(["--faults=none"], {}).faults).toEqual([]);
    expect(parseOptions(["--faults=kill,kill"], {}).faults).toEqual(["kill"]);
    // A wipe only when named: it leaves the quorum a voter short for the rest of the run.
    expect(parseOptions([], {}).faults).toEqual(["kill", "pause", "partition"]);
    expect(parseOptions(["--faults=wipe,kill"], {}).faults).toEqual(["wipe", "kill"]);
    expect(() => parseOptions(["--metadata-quorum=controller"], {})).toThrow("unknown flag --metadata-quorum");
  });

  test("bad flags are refused, naming the flag", () => {
    expect(() => parseOptions(["--duration=0"], {})).toThrow("--duration must be an integer from 5 to 86400");
    expect(() => parseOptions(["--brokers=2"], {})).toThrow("--brokers must be an integer from 3 to 9");
    expect(() => parseOptions(["--faults=kill,flood"], {})).toThrow('unknown fault "flood"; the faults are kill, pause, partition, wipe (or none)');
    expect(() => parseOptions(["--speed=2"], {})).toThrow("unknown flag --speed");
    expect(() => parseOptions(["duration=2"], {})).toThrow('unexpected argument "duration=2"');
  });
});
