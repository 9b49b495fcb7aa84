import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { runCli } from "../helpers/broker-harness.ts";
import { REPO_ROOT } from "../helpers/streamnest-command.ts";

// Each --help is a CLI process; on a shared 2-core machine that is not instant.
setDefaultTimeout(60_000);

/**
 * The README read as a newcomer does: before the Download section they have a source
 * checkout, where the program is `npx streamnest` (a bare `streamnest` is "command not
 * found"), and every flag an example uses must be one the command takes.
 */
const readme = readFileSync(resolve(REPO_ROOT, "README.md"), "utf8");
const beforeDownload = readme.slice(0, readme.indexOf("\n## Download"));

/** The command lines of the ```sh blocks, comments dropped. */
function shellLines(text: string): string[] {
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
    m[1].split("\n").map((line) => line.replace(/\s+#.*$/, "").trim()).filter((line) => line !== ""),
  );
}

const cliLines = shellLines(beforeDownload).filter((line) => /\bstreamnest\b/.test(line));

describe("README: the CLI examples of the quick start", () => {
  test("there are some, and each runs the program as a source checkout can: npx streamnest", () => {
    expect(cliLines.length).toBeGreaterThanOrEqual(8);
    for (const line of cliLines) expect({ line, npx: /(^|\| )npx streamnest /.test(line) }).toEqual({ line, npx: true });
  });

  test("every flag an example gives is one its command takes", async () => {
    const byCommand = new Map<string, Set<string>>();
    for (const line of cliLines) {
      const words = line.slice(line.indexOf("npx streamnest ") + "npx streamnest ".length).split(/\s+/);
      const command = words[0] === "topics" ? ["topics", words[1].split("|")[0]] : [words[0]];
      const key = command.join(" ");
      const flags = byCommand.get(key) ?? new Set<string>();
      for (const word of words) if (word.startsWith("--")) flags.add(word.replace(/=.*$/, ""));
      byCommand.set(key, flags);
    }
    expect([...byCommand.keys()].sort()).toEqual(["consumer", "producer", "topics alter", "topics create", "topics list"]);
    for (const [command, flags] of byCommand) {
      const help = await runCli([...command.split(" "), "--help"]);
      expect(help.exitCode).toBe(0);
      for (const flag of flags) expect({ command, flag, known: help.stdout.includes(`${flag}=`) || help.stdout.includes(`${flag} `) }).toEqual({ command, flag, known: true });
    }
  });
});
