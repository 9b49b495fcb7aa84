import type { TCPSocketListener } from "bun";

/**
 * A plain TCP listener on a port a broker has left (killed), speaking just enough
 * HTTP/1.1 to keep the brokers that still dial it talking: it records every request it
 * receives, byte for byte, and answers each with what `answer` makes up. It stands for
 * any local user who binds a dead broker's port.
 */

export interface CapturedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The request exactly as it arrived. */
  raw: Buffer;
}

export interface SquatterAnswer {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface PortSquatter {
  readonly requests: CapturedRequest[];
  /** Every byte received on every connection. */
  received(): Buffer;
  stop(): void;
}

interface Conn {
  buffer: Buffer;
}

function parseOne(buffer: Buffer): { request: CapturedRequest; rest: Buffer } | undefined {
  const end = buffer.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const head = buffer.subarray(0, end).toString("latin1").split("\r\n");
  const [method, path] = (head[0] ?? "").split(" ");
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers["content-length"] ?? "0");
  if (buffer.length < end + 4 + length) return undefined;
  const raw = Buffer.from(buffer.subarray(0, end + 4 + length));
  const body = buffer.subarray(end + 4, end + 4 + length).toString("utf8");
  return { request: { method: method ?? "", path: path ?? "", headers, body, raw }, rest: Buffer.from(buffer.subarray(end + 4 + length)) };
}

export function squatPort(port: number, answer: (request: CapturedRequest) => SquatterAnswer): PortSquatter {
  const requests: CapturedRequest[] = [];
  const chunks: Buffer[] = [];
  const listener: TCPSocketListener<Conn> = Bun.listen<Conn>({
    hostname: "127.0.0.1",
    port,
    socket: {
      open(socket) {
        socket.data = { buffer: Buffer.alloc(0) };
      },
      data(socket, data) {
        chunks.push(Buffer.from(data));
        socket.data.buffer = Buffer.concat([socket.data.buffer, Buffer.from(data)]);
        for (;;) {
          const parsed = parseOne(socket.data.buffer);
          if (!parsed) break;
          socket.data.buffer = parsed.rest;
          requests.push(parsed.request);
          const reply = answer(parsed.request);
          const body = Buffer.from(reply.body, "utf8");
          const headers = { "content-type": "application/json", ...reply.headers, "content-length": String(body.length) };
          const head = [`HTTP/1.1 ${reply.status} X`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), "", ""].join("\r\n");
          socket.write(Buffer.concat([Buffer.from(head, "latin1"), body]));
        }
      },
    },
  });
  return {
    requests,
    received: () => Buffer.concat(chunks),
    stop: () => listener.stop(true),
  };
}

/** Sends raw bytes to a port and returns the raw answer (the connection is closed after it). */
export async function sendRaw(port: number, bytes: Buffer, timeoutMs = 5_000): Promise<string> {
  const { promise, resolve } = Promise.withResolvers<string>();
  const chunks: Buffer[] = [];
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_socket, data) {
        chunks.push(Buffer.from(data));
        const text = Buffer.concat(chunks).toString("utf8");
        const end = text.indexOf("\r\n\r\n");
        const length = /content-length: *(\d+)/i.exec(text)?.[1];
        if (end >= 0 && length !== undefined && Buffer.byteLength(text) >= end + 4 + Number(length)) resolve(text);
      },
      close() {
        resolve(Buffer.concat(chunks).toString("utf8"));
      },
      error() {
        resolve(Buffer.concat(chunks).toString("utf8"));
      },
    },
  });
  socket.write(bytes);
  const timer = setTimeout(() => resolve(Buffer.concat(chunks).toString("utf8")), timeoutMs);
  const text = await promise;
  clearTimeout(timer);
  socket.end();
  return text;
}
