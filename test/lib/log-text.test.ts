import { describe, expect, test } from "bun:test";
import { CONTINUATION, guardConsole, logSafe, MAX_LOG_CHARS } from "../../src/lib/log-text.ts";

describe("logSafe", () => {
  test("plain text, tabs and non-ASCII letters pass as they are (the same string)", () => {
    const text = "kafka: closing connection from 127.0.0.1:5000: topic \"été-😀\"\tpartition 3";
    expect(logSafe(text)).toBe(text);
  });

  test("a line break keeps the next line but indents it, so it cannot pass for a line of its own", () => {
    expect(logSafe("refused topic evil\nkafka: FORGED")).toBe(`refused topic evil\n${CONTINUATION}kafka: FORGED`);
    expect(logSafe("a\n\nb")).toBe(`a\n${CONTINUATION}\n${CONTINUATION}b`);
  });

  test("terminal escapes and the other characters that start or rewrite a line are written as \\u escapes", () => {
    expect(logSafe("red\u001b[31mtext")).toBe("red\\u001b[31mtext");
    expect(logSafe("over\rwrite")).toBe("over\\u000dwrite");
    expect(logSafe("a\u000bb\u000cc\u0000d\u007fe\u0085f\u009bg")).toBe("a\\u000bb\\u000cc\\u0000d\\u007fe\\u0085f\\u009bg");
    expect(logSafe("line\u2028sep\u2029para")).toBe("line\\u2028sep\\u2029para");
  });

  test("bidirectional overrides (text shown in another order than it is) are escaped", () => {
    expect(logSafe("user\u202egnp.exe\u202c")).toBe("user\\u202egnp.exe\\u202c");
    expect(logSafe("\u2066x\u2069")).toBe("\\u2066x\\u2069");
  });
});

describe("logSafe: long messages", () => {
  test("a message is cut after MAX_LOG_CHARS characters, saying how many were left out", () => {
    expect(logSafe("a".repeat(MAX_LOG_CHARS))).toBe("a".repeat(MAX_LOG_CHARS));
    expect(logSafe("a".repeat(MAX_LOG_CHARS + 1808))).toBe(`${"a".repeat(MAX_LOG_CHARS)}… (1808 more characters)`);
  });

  test("the cut never splits a surrogate pair, and what is kept is still escaped", () => {
    const text = `${"b".repeat(MAX_LOG_CHARS - 1)}😀${"c".repeat(10)}`;
    expect(logSafe(text)).toBe(`${"b".repeat(MAX_LOG_CHARS - 1)}… (12 more characters)`);
    expect(logSafe(`\u001b${"d".repeat(MAX_LOG_CHARS)}`)).toBe(`\\u001b${"d".repeat(MAX_LOG_CHARS - 1)}… (1 more character)`);
  });
});

describe("guardConsole", () => {
  function fakeConsole(): { console: Console; lines: [string, unknown[]][] } {
    const lines: [string, unknown[]][] = [];
    const target = {} as Record<string, (...args: unknown[]) => void>;
    for (const name of ["log", "info", "warn", "error", "debug", "trace"]) target[name] = (...args: unknown[]) => lines.push([name, args]);
    return { console: target as unknown as Console, lines };
  }

  test("every printing method formats its arguments into one escaped string", () => {
    const { console: c, lines } = fakeConsole();
    guardConsole(c);
    c.log("topic %s", "a\nFORGED");
    c.warn("warning: x\u001b[2J");
    c.error("n =", 3, { topic: "t\r" });
    c.info("plain");
    expect(lines).toEqual([
      ["log", [`topic a\n${CONTINUATION}FORGED`]],
      ["warn", ["warning: x\\u001b[2J"]],
      ["error", ["n = 3 { topic: 't\\r' }"]],
      ["info", ["plain"]],
    ]);
  });

  test("an Error's stack keeps its lines, indented after the first", () => {
    const { console: c, lines } = fakeConsole();
    guardConsole(c);
    const error = new Error("boom\nkafka: FORGED");
    c.error(error.stack);
    const printed = lines[0][1][0] as string;
    const rest = printed.split("\n").slice(1);
    expect(printed.startsWith("Error: boom\n")).toBe(true);
    expect(rest.length).toBeGreaterThan(1);
    for (const line of rest) expect(line.startsWith(CONTINUATION)).toBe(true);
  });

  test("guarding twice escapes once", () => {
    const { console: c, lines } = fakeConsole();
    guardConsole(c);
    guardConsole(c);
    c.log("a\u001bb");
    expect(lines).toEqual([["log", ["a\\u001bb"]]]);
  });
});
