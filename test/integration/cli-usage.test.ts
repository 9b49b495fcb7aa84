import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { runCli } from "../helpers/broker-harness.ts";

// Each case starts the CLI as a process; on a shared 2-core machine that is not instant.
setDefaultTimeout(60_000);

describe("streamnest: the command line itself", () => {
  test("an unknown command, option or argument is one line on stderr, nothing on stdout, exit 1", async () => {
    const cases: Array<[string[], string]> = [
      [["foo"], '[error] unknown command "foo" for streamnest; the commands are broker, producer, consumer, topics, health\n'],
      [["--bogus"], "[error] unknown option --bogus for streamnest (see streamnest --help)\n"],
      [["topics", "create", "a", "b"], '[error] unexpected argument "b": streamnest topics create takes <NAME> once (see streamnest topics create --help)\n'],
      [["topics", "create"], "[error] missing the topic name: streamnest topics create <NAME>\n"],
      [["broker", "--id=1", "--prot=9000"], "[error] unknown option --prot for streamnest broker (did you mean --port?)\n"],
    ];
    for (const [args, expected] of cases) {
      const { exitCode, stdout, stderr } = await runCli(args);
      expect({ args, stderr, stdout, exitCode }).toEqual({ args, stderr: expected, stdout: "", exitCode: 1 });
    }
  });

  test("no command: the usage on stdout, one line on stderr naming the commands, exit 1", async () => {
    for (const [args, commands] of [
      [[], "streamnest takes one of broker, producer, consumer, topics, health"],
      [["topics"], "streamnest topics takes one of list, create, describe, alter, delete"],
    ] as const) {
      const { exitCode, stdout, stderr } = await runCli([...args]);
      expect(stdout).toContain("USAGE ");
      expect(stderr).toBe(`[error] no command given: ${commands}\n`);
      expect(exitCode).toBe(1);
    }
  });

  test("--help anywhere shows the command's usage, exit 0; --version prints the version", async () => {
    const help = await runCli(["producer", "--topic=t", "--help"]);
    expect(help.stdout).toContain("USAGE streamnest producer [OPTIONS]");
    expect(help.stdout).toContain("--partition=<N>");
    expect(help.stderr).toBe("");
    expect(help.exitCode).toBe(0);
    // citty alone names a second-level command without the program: "USAGE topics create".
    const nested = await runCli(["topics", "create", "--help"]);
    expect(nested.stdout).toStartWith("Create a topic (streamnest topics create v");
    expect(nested.stdout).toContain("USAGE streamnest topics create [OPTIONS] <NAME>");
    expect(nested.stdout).toContain("--partitions=<N>");
    expect(nested.exitCode).toBe(0);
    // Without a valueHint citty prints the flag's own name in snake case: --fsync=<fsync>.
    const broker = await runCli(["broker", "--help"]);
    expect(broker.stdout).toContain("--cluster-secret=<secret>");
    expect(broker.stdout).toContain("--max-message-bytes=<bytes>");
    expect(broker.stdout.match(/=<[a-z_]+_[a-z_]*>|--fsync=<fsync>/g)).toBeNull();
    const version = await runCli(["--version"]);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+ \(.+\)\n$/);
    expect(version.exitCode).toBe(0);
  });
});
