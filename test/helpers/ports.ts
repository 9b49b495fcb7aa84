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

/**
 * `n` distinct ports below the kernel's ephemeral range that nothing is bound to now, for
 * a port another program binds later (podman publishing a container's port): a port
 * from bind(0) is an ephemeral one, which any outgoing connection may take as its local
 * port before that program binds it. A CI run saw exactly that: one container of three
 * left "Created" (podman: "bind: address already in use"), at both of its starts.
 */
export async function freeListenPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!ports.has(port) && (await bindable(port))) ports.add(port);
  }
  return [...ports];
}

async function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    // The wildcard address: taken on any address means taken for a publish on 127.0.0.1 too.
    server.listen({ port, host: "0.0.0.0", exclusive: true }, () => server.close(() => resolve(true)));
  });
}
