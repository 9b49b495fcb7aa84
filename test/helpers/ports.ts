import { createServer } from "node:net";

/**
 * A port the OS says is free right now (bind to 0, read it back, release it). A broker
 * picks its own port (`--port=0`); this is left for a port where nothing listens (a
 * client's "connection refused") and for in-process cluster nodes (test/cluster/),
 * which are built knowing each other's addresses.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("no port"));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}

/** `n` distinct free ports. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}
