/**
 * Error messages from storage name files by their absolute path, which tells a client
 * how the broker's machine is laid out. What a client sees names them inside the data
 * dir at most (`t-0`, `meta/metadata.json`); the broker's own log keeps the full path.
 */
export function withoutDataDir(text: string, dataDir: string): string {
  const root = dataDir.replace(/\/+$/, "");
  if (root === "" || !text.includes(root)) return text;
  return text.split(`${root}/`).join("").split(root).join(".");
}

/** The same for each failure of a batch answer. */
export function failuresWithoutDataDir<T>(results: T[], dataDir: string): T[] {
  return results.map((r) => {
    const message = (r as { message?: unknown }).message;
    return typeof message === "string" && message.includes(dataDir) ? { ...r, message: withoutDataDir(message, dataDir) } : r;
  });
}
