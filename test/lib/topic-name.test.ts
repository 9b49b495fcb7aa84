import { describe, expect, test } from "bun:test";
import { StreamNestError } from "../../src/lib/errors.ts";
import { assertTopicName, MAX_TOPIC_NAME_LENGTH, topicNameProblem } from "../../src/lib/topic-name.ts";

describe("topicNameProblem (Kafka's Topic#validate)", () => {
  test("accepts 1..249 characters of [a-zA-Z0-9._-]", () => {
    for (const name of ["a", "Demo_1.v2-x", "..a", "_", "-", "a".repeat(249)]) expect(topicNameProblem(name)).toBeUndefined();
    expect(MAX_TOPIC_NAME_LENGTH).toBe(249);
  });

  test("names each problem", () => {
    expect(topicNameProblem(7)).toBe("topic must be a string");
    expect(topicNameProblem(null)).toBe("topic must be a string");
    expect(topicNameProblem("")).toBe("topic name is empty");
    expect(topicNameProblem(".")).toBe('topic name cannot be "."');
    expect(topicNameProblem("..")).toBe('topic name cannot be ".."');
    expect(topicNameProblem("a".repeat(250))).toBe("topic name is 250 characters; the limit is 249");
    expect(topicNameProblem("a/b")).toBe(`topic name "a/b" may contain only ASCII letters, digits, '.', '_' and '-'`);
    for (const bad of ["a b", "é", "a\n", "a:b", "tab\t", "ü"]) expect(topicNameProblem(bad)).toContain("may contain only");
  });
});

describe("assertTopicName", () => {
  test("throws INVALID_TOPIC_NAME with the problem, and passes good names", () => {
    expect(() => assertTopicName("ok.name")).not.toThrow();
    let caught: unknown;
    try {
      assertTopicName("..");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StreamNestError);
    expect((caught as StreamNestError).code).toBe("INVALID_TOPIC_NAME");
    expect((caught as StreamNestError).message).toBe('topic name cannot be ".."');
  });
});
