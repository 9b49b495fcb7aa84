import type { ProduceAttempt } from "./history.ts";
import type { Violation } from "./violations.ts";

/**
 * Groups produce attempts by value and checks the history's own promises, on which
 * every other check relies: attempt ids are unique, a retry names an attempt that
 * exists and carries its value and topic, and attempts sharing a value are one chain of
 * retries (a value produced twice independently would make duplicates unjudgeable).
 */
export function validateAttempts(attempts: ProduceAttempt[]): { byValue: Map<string, ProduceAttempt[]>; violations: Violation[] } {
  const violations: Violation[] = [];
  const invalid = (message: string, ids: string[]): void => {
    violations.push({ kind: "invalid-history", message, attempts: ids });
  };
  const byId = new Map<string, ProduceAttempt>();
  for (const attempt of attempts) {
    if (byId.has(attempt.id)) invalid(`attempt id ${attempt.id} is used twice`, [attempt.id]);
    else byId.set(attempt.id, attempt);
  }

  const byValue = new Map<string, ProduceAttempt[]>();
  for (const attempt of attempts) {
    const group = byValue.get(attempt.value) ?? [];
    group.push(attempt);
    byValue.set(attempt.value, group);
    if (attempt.retryOf === undefined) continue;
    const original = byId.get(attempt.retryOf);
    if (original === undefined) invalid(`attempt ${attempt.id} retries ${attempt.retryOf}, which is not in the history`, [attempt.id]);
    else if (original.value !== attempt.value || original.topic !== attempt.topic) {
      invalid(`attempt ${attempt.id} retries ${original.id} with another value or topic`, [original.id, attempt.id]);
    }
  }

  for (const [value, group] of byValue) {
    if (group.length === 1) continue;
    const roots = new Set(group.map((attempt) => root(attempt, byId)));
    if (roots.size > 1) {
      invalid(`${JSON.stringify(value)} is produced by ${roots.size} independent attempts, not one chain of retries`, group.map((a) => a.id));
    }
  }
  return { byValue, violations };
}

/** The first attempt of a retry chain (a cycle or a broken link ends the walk where it is). */
function root(attempt: ProduceAttempt, byId: Map<string, ProduceAttempt>): string {
  if (attempt.retryOf === undefined) return attempt.id;
  const visited = new Set<string>();
  let current = attempt;
  while (current.retryOf !== undefined && !visited.has(current.id)) {
    visited.add(current.id);
    const previous = byId.get(current.retryOf);
    if (previous === undefined) break;
    current = previous;
  }
  return current.id;
}
