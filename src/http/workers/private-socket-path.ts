import { lstatSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Where a broker's HTTP workers pass requests on to its thread that owns the logs: a Unix
 * socket in the temporary directory (a data dir's path may pass the 107 bytes a socket's
 * path may hold), named for the process, the broker and a random part.
 */
const NAME = /^streamnest-(\d+)-\d+-[a-z0-9]+\.sock$/;

export function privateSocketPath(pid: number, brokerId: number, dir: string = tmpdir()): string {
  return join(dir, `streamnest-${pid}-${brokerId}-${Math.random().toString(36).slice(2, 10)}.sock`);
}

/**
 * Removes the sockets left by brokers that died without closing them (kill -9, a crash,
 * the OOM killer: a clean stop removes its own), so that they do not pile up in /tmp.
 * Only sockets of this user whose process is gone and on which nothing listens: a pid
 * names a process of its own namespace only, and a temporary directory shared with a
 * container (another pid namespace) may hold a live broker's socket under a pid that
 * is free here; a refused connection is what says the socket is dead. Returns the paths
 * removed.
 */
export async function removeStaleSockets(dir: string = tmpdir(), alive: (pid: number) => boolean = processAlive): Promise<string[]> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const uid = process.getuid?.();
  const removed: string[] = [];
  for (const name of names) {
    const match = NAME.exec(name);
    if (match === null) continue;
    const path = join(dir, name);
    try {
      const stat = lstatSync(path);
      if (!stat.isSocket() || (uid !== undefined && stat.uid !== uid)) continue;
      if (alive(Number(match[1])) || (await listening(path))) continue;
      rmSync(path, { force: true });
      removed.push(path);
    } catch {
      // Gone meanwhile, or not ours to remove: nothing to do.
    }
  }
  return removed;
}

/** Whether something accepts a connection on the Unix socket at `path` (it is closed again at once). */
async function listening(path: string): Promise<boolean> {
  try {
    const socket = await Bun.connect({ unix: path, socket: { data() {} } });
    socket.end();
    return true;
  } catch (error) {
    // Refused: a socket file nobody listens on. Anything else (a full backlog, say): leave it.
    const code = (error as NodeJS.ErrnoException).code;
    return code !== "ECONNREFUSED" && code !== "ENOENT";
  }
}

/** Whether a process of this id exists (signal 0 checks without sending one; EPERM: it exists, another user's). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
