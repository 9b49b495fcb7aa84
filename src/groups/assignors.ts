/** The assignors a group may name when it joins (Kafka's `partition.assignment.strategy` names). */
import { StreamNestError } from "../lib/errors.ts";
import type { AssignFn } from "./assignor.ts";
import { rangeAssign } from "./range-assignor.ts";
import { roundRobinAssign } from "./round-robin-assignor.ts";

export const ASSIGNORS = {
  range: rangeAssign,
  roundrobin: roundRobinAssign,
} as const satisfies Record<string, AssignFn>;

export type AssignorName = keyof typeof ASSIGNORS;

export const DEFAULT_ASSIGNOR: AssignorName = "range";

export const ASSIGNOR_NAMES = Object.keys(ASSIGNORS) as AssignorName[];

export function isAssignorName(name: string): name is AssignorName {
  return Object.hasOwn(ASSIGNORS, name);
}

export function assignorByName(name: string): AssignFn {
  if (!isAssignorName(name))
    throw new StreamNestError(
      "INVALID_REQUEST",
      `unknown assignor "${name}"; use one of: ${ASSIGNOR_NAMES.join(", ")}`,
    );
  return ASSIGNORS[name];
}
