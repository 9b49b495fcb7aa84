import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { SUPERVISED_ENV } from "../../src/cluster/parent-watch.ts";

const MODULE = resolve(import.meta.dir, "../../src/cluster/parent-watch.ts");

/**
 * A child process that watches its parent as a supervised broker does. Supervised, it
 * says "gone" when its stdin closes (what the kernel does when the launcher dies);
 * unsupervised, it stops by itself after a moment, having said nothing.
 */
function child(supervised: boolean) {
  const code = `
    import { watchParent } from ${JSON.stringify(MODULE)};
    watchParent(() => { console.log("gone"); process.exit(0); });
    console.log("watching");
    ${supervised ? "setInterval(() => {}, 1000);" : 'setTimeout(() => { console.log("still here"); process.exit(3); }, 300);'}
  `;
  const env: Record<string, string | undefined> = { ...process.env, [SUPERVISED_ENV]: supervised ? "1" : undefined };
  return Bun.spawn([process.execPath, "-e", code], { stdin: "pipe", stdout: "pipe", stderr: "inherit", env });
}

describe("watchParent", () => {
  test("supervised: the end of stdin means the parent is gone", async () => {
    const proc = child(true);
    const reader = proc.stdout.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("watching\n");
    proc.stdin.end();
    let rest = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toBe("gone\n");
    expect(await proc.exited).toBe(0);
  });

  test(`without ${SUPERVISED_ENV}=1 nothing is watched`, async () => {
    const proc = child(false);
    proc.stdin.end();
    expect(await new Response(proc.stdout).text()).toBe("watching\nstill here\n");
    expect(await proc.exited).toBe(3);
  });
});
