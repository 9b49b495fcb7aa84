import { partitionKey, type History, type Place } from "./history.ts";
import type { PartitionLog } from "./replicas.ts";
import { placeText, type Violation } from "./violations.ts";

/** Something that saw a value at an offset: an ack or a read during the run. */
interface Sighting extends Place {
  value: string;
  by: () => string;
}

function* sightings(history: History): Generator<Sighting> {
  for (const a of history.attempts) {
    if (a.outcome.type !== "ok") continue;
    yield { topic: a.topic, partition: a.outcome.partition, offset: a.outcome.offset, value: a.value, by: () => `ack of ${a.id}` };
  }
  for (const r of history.reads) {
    yield { ...r, by: () => `read at ${r.at}${r.broker === undefined ? "" : ` from broker ${r.broker}`}` };
  }
}

/**
 * No offset may ever be seen holding two values, whoever saw it: an ack, a read during
 * the run, or the final log (Jepsen's "inconsistent offsets"). Runs in two passes so
 * that a long clean history costs no memory per offset: the first finds the places
 * where a sighting disagrees with the final log (or, past its end, with an earlier
 * sighting); the second gathers who saw what at those places only.
 */
export function checkOffsets(history: History, logs: Map<string, PartitionLog>): Violation[] {
  const suspects = new Map<string, Map<number, Place>>();
  const pastFinal = new Map<string, Map<number, string>>();
  const suspect = (place: Place, key: string): void => {
    const offsets = suspects.get(key) ?? new Map<number, Place>();
    offsets.set(place.offset, { topic: place.topic, partition: place.partition, offset: place.offset });
    suspects.set(key, offsets);
  };
  for (const sighting of sightings(history)) {
    const key = partitionKey(sighting.topic, sighting.partition);
    const final = logs.get(key)?.committed.get(sighting.offset);
    if (final !== undefined) {
      if (final !== sighting.value) suspect(sighting, key);
      continue;
    }
    const offsets = pastFinal.get(key) ?? new Map<number, string>();
    pastFinal.set(key, offsets);
    const first = offsets.get(sighting.offset);
    if (first === undefined) offsets.set(sighting.offset, sighting.value);
    else if (first !== sighting.value) suspect(sighting, key);
  }
  if (suspects.size === 0) return [];

  const seen = new Map<string, Map<number, Map<string, string[]>>>();
  const record = (key: string, offset: number, value: string, by: string): void => {
    const offsets = seen.get(key) ?? new Map<number, Map<string, string[]>>();
    seen.set(key, offsets);
    const values = offsets.get(offset) ?? new Map<string, string[]>();
    offsets.set(offset, values);
    values.set(value, [...(values.get(value) ?? []), by]);
  };
  for (const sighting of sightings(history)) {
    const key = partitionKey(sighting.topic, sighting.partition);
    if (suspects.get(key)?.has(sighting.offset)) record(key, sighting.offset, sighting.value, sighting.by());
  }
  const places = [...suspects.values()].flatMap((offsets) => [...offsets.values()]);
  places.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition || a.offset - b.offset));
  const violations: Violation[] = [];
  for (const place of places) {
    const key = partitionKey(place.topic, place.partition);
    const log = logs.get(key);
    const final = log?.committed.get(place.offset);
    if (log !== undefined && final !== undefined) record(key, place.offset, final, `final log of broker ${log.reference}`);
    const listed = [...seen.get(key)!.get(place.offset)!].map(([value, seenBy]) => ({ value, seenBy }));
    violations.push({
      kind: "inconsistent-offset",
      message: `${placeText(place)} held ${listed.map((v) => `${JSON.stringify(v.value)} (${v.seenBy.join(", ")})`).join(" and ")}`,
      place,
      values: listed,
    });
  }
  return violations;
}
