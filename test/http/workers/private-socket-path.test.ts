import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privateSocketPath, removeStaleSockets } from "../../../src/http/workers/private-socket-path.ts";
import { cleanupsAfterEach } from "../../helpers/cleanups.ts";

/**
 * A broker killed with -9 never removes its workers' private socket; without this, every
 * such kill left a streamnest-<pid>-*.sock in /tmp for good (found after chaos runs).
 */
const cleanups = cleanupsAfterEach();

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-sockets-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A real process that listens on a socket named as a broker's and is killed with -9: the file stays behind. */
async function socketOfKilledProcess(dir: string): Promise<string> {
  const script = `const p = process.argv[1] + "/streamnest-" + process.pid + "-1-k9k9k9.sock"; Bun.listen({ unix: p, socket: { data() {} } }); console.log(p); setInterval(() => {}, 1000);`;
  const child = Bun.spawn([process.execPath, "-e", script, dir], { stdout: "pipe" });
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  const path = new TextDecoder().decode(value).trim();
  child.kill(9);
  await child.exited;
  expect(existsSync(path)).toBe(true);
  return path;
}

test("a socket whose process is gone is removed; a live process's, another name and a plain file are kept", async () => {
  const dir = tempDir();
  const stale = await socketOfKilledProcess(dir);
  const live = privateSocketPath(process.pid, 2, dir);
  const liveListener = Bun.listen({ unix: live, socket: { data() {} } });
  const notOurs = join(dir, "other-123-1-abc.sock");
  writeFileSync(notOurs, "");
  const plainFile = join(dir, "streamnest-999999999-1-abcdef.sock");
  writeFileSync(plainFile, "");
  try {
    expect(await removeStaleSockets(dir)).toEqual([stale]);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(notOurs)).toBe(true);
    expect(existsSync(plainFile)).toBe(true);
  } finally {
    liveListener.stop(true);
  }
});

test("the name holds the pid and the broker id, and differs between calls", () => {
  const a = privateSocketPath(4242, 7, "/tmp");
  expect(a).toMatch(/^\/tmp\/streamnest-4242-7-[a-z0-9]+\.sock$/);
  expect(privateSocketPath(4242, 7, "/tmp")).not.toBe(a);
  // Within the 107 bytes a Unix socket's path may hold, in the usual temporary directory.
  expect(a.length).toBeLessThan(60);
});

test("a directory that cannot be read removes nothing and does not throw", async () => {
  expect(await removeStaleSockets(join(tempDir(), "missing"))).toEqual([]);
});

test("a socket that still accepts connections is kept though its pid is free here (a container's, of another pid namespace)", async () => {
  const dir = tempDir();
  const path = privateSocketPath(123456, 1, dir);
  const listener = Bun.listen({ unix: path, socket: { data() {} } });
  try {
    expect(await removeStaleSockets(dir, () => false)).toEqual([]);
    expect(existsSync(path)).toBe(true);
  } finally {
    listener.stop(true);
  }
});

test("a live pid keeps its socket even when nothing listens on it", async () => {
  const dir = tempDir();
  const stale = await socketOfKilledProcess(dir);
  expect(await removeStaleSockets(dir, () => true)).toEqual([]);
  expect(existsSync(stale)).toBe(true);
  expect(await removeStaleSockets(dir, () => false)).toEqual([stale]);
});
