import type { Server } from "bun";
import { StreamNestError } from "../lib/errors.ts";
import type { StreamNestApp } from "./app.ts";

export interface ListenOptions {
  host: string;
  port: number;
}

/**
 * Binds the app to a socket. `reusePort` is off (Elysia turns it on): a second broker on
 * a port that is taken must fail loudly, not share the port. Bun's own body limit is
 * lifted because it answers 413 with an empty body; the app's parser enforces the
 * limit with a JSON error instead, without buffering the refused body.
 */
export function listen(app: StreamNestApp, options: ListenOptions): Server<unknown> {
  try {
    app.listen({
      hostname: options.host,
      port: options.port,
      reusePort: false,
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      // Long polls and streams lift this per request (server.timeout(request, 0)).
      idleTimeout: 60,
      development: false,
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "EADDRINUSE")
      throw new StreamNestError("INVALID_REQUEST", `port ${options.port} is already in use (on ${options.host})`);
    if (code === "EACCES")
      throw new StreamNestError("INVALID_REQUEST", `not allowed to listen on port ${options.port} (on ${options.host})`);
    throw error;
  }
  const server = app.server;
  if (!server) throw new Error("the HTTP server did not start");
  return server;
}
