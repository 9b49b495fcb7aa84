import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrokerProcess, startBroker } from "../helpers/broker-harness.ts";
import { call } from "../helpers/cluster-http.ts";

/**
 * The incident (an operator's typo): `streamnest users revoke xyz` was checked only when
 * its change was applied from the metadata log. The call timed out (504, outcome
 * unknown), the entry stayed in the log, and every restart replayed it into the same
 * error: the broker would never start again.
 */

setDefaultTimeout(60_000);

const root = mkdtempSync(join(tmpdir(), "streamnest-bad-change-"));
let broker: BrokerProcess;
let stop: () => Promise<void>;
let token: string;

beforeAll(async () => {
  const file = join(root, "admin-token");
  ({ broker, stop } = await startBroker({ args: ["--auth=token", `--admin-token-file=${file}`] }));
  await broker.waitForOutput(`Created the admin token (User:admin) in ${file}`);
  token = readFileSync(file, "utf8").trim();
});
afterAll(async () => {
  await stop?.();
  rmSync(root, { recursive: true, force: true });
});

test("a malformed token id is a 400 before anything is written, and the broker restarts as before", async () => {
  const auth = { authorization: `Bearer ${token}` };
  expect(await call(broker, "DELETE", "/admin/tokens/xyz", undefined, auth)).toEqual({
    status: 400,
    body: { error: "INVALID_REQUEST", message: "token id must be 16 lowercase hex digits" },
  });
  await broker.restart();
  expect((await call(broker, "GET", "/admin/users", undefined, auth)).status).toBe(200);
});
