import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { ApiResult } from "../api.ts";

/**
 * Loads with `load` when `key` changes, and again every `intervalMs` when given, keeping
 * the last answer on screen while the next one is on its way.
 */
export function useApi<T>(load: (signal: AbortSignal) => Promise<ApiResult<T>>, key: string, intervalMs?: number) {
  const [result, setResult] = useState<ApiResult<T> | null>(null);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    setResult(null);
  }, [key]);
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (): Promise<void> => {
      const answer = await loadRef.current(controller.signal);
      if (controller.signal.aborted) return;
      setResult(answer);
      if (intervalMs !== undefined) timer = setTimeout(() => void run(), intervalMs);
    };
    void run();
    return () => {
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [key, tick, intervalMs]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { result, reload };
}

/** Runs `tasks` with at most `limit` at once, answers in order. */
export async function limited<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}
