import { afterAll, describe, expect, test } from "bun:test";
import { StreamNestClient } from "../../../src/client/index.ts";
import { surelyNotStored } from "../../../src/commands/cli/fail.ts";
import { StreamNestError } from "../../../src/lib/errors.ts";
import { freePort } from "../../helpers/ports.ts";

/**
 * Whether a failed produce may still have been stored, from the errors the real client
 * gives: the CLI then tells the user which lines are in doubt instead of letting them
 * pass for unsent.
 */

// A broker that dies while answering: it reads the request, then the connection breaks.
const dying = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: (socket) => socket.terminate() } });
afterAll(() => dying.stop(true));

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error,
  );
}

describe("surelyNotStored", () => {
  test("no broker took the connection: surely not stored", async () => {
    const error = await failure(new StreamNestClient(`localhost:${await freePort()}`).produce("t", "m"));
    expect(error).toBeInstanceOf(StreamNestError);
    expect(surelyNotStored(error)).toBe(true);
  });

  test("the connection broke after the request went: maybe stored, even with another broker tried first", async () => {
    for (const brokers of [`127.0.0.1:${dying.port}`, `localhost:${await freePort()},127.0.0.1:${dying.port}`]) {
      const error = (await failure(new StreamNestClient(brokers).produce("t", "m"))) as StreamNestError;
      expect(error.code).toBe("LEADER_UNAVAILABLE");
      expect(surelyNotStored(error)).toBe(false);
    }
  });

  test("a broker's refusal is surely not stored; a leader that timed out or broke off may have stored it", () => {
    expect(surelyNotStored(new StreamNestError("SCHEMA_VIOLATION", "no"))).toBe(true);
    expect(surelyNotStored(new StreamNestError("LEADER_UNAVAILABLE", "refused", { leader: 2, broker: "b:2" }))).toBe(true);
    expect(surelyNotStored(new StreamNestError("LEADER_UNAVAILABLE", "slow", { leader: 2, broker: "b:2", timedOut: true }))).toBe(false);
    expect(surelyNotStored(new StreamNestError("LEADER_UNAVAILABLE", "broke", { leader: 2, broker: "b:2", interrupted: true }))).toBe(false);
    expect(surelyNotStored(new StreamNestError("REQUEST_TIMED_OUT", "slow"))).toBe(false);
    expect(surelyNotStored(new Error("anything else"))).toBe(false);
  });
});
