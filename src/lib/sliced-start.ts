/**
 * Starts `start(item)` for every item, in order, `slice` of them per turn of the event
 * loop, and waits for them all. Starting an async call runs its synchronous part at once:
 * a first write to a partition creates its log (folder, segment, SQLite index) before
 * its first await, a few ms of CPU each, so 1,000 of them started in one turn held a
 * broker's event loop for seconds and its heartbeats went unanswered (issue 14). Between
 * slices, network events (heartbeats among them) get their turn.
 */
export async function startInSlices<T, R>(items: readonly T[], slice: number, start: (item: T) => Promise<R>): Promise<R[]> {
  const started: Promise<R>[] = [];
  for (let i = 0; i < items.length; i += slice) {
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    for (const item of items.slice(i, i + slice)) started.push(start(item));
  }
  return Promise.all(started);
}

/** Calls that create a partition log started per turn (see startInSlices). */
export const LOG_OPEN_SLICE = 25;
