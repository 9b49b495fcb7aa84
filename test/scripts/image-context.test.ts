import { describe, expect, test } from "bun:test";
import { libraryPaths } from "../../scripts/image-context.ts";

describe("libraryPaths: the files of `ldd`'s answer that go into the image", () => {
  test("every resolved library and the loader, not the vDSO", () => {
    const ldd = [
      "\tlinux-vdso.so.1 (0x00007ffd5b1f4000)",
      "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fd2b531b000)",
      "\t/lib64/ld-linux-x86-64.so.2 (0x00007fd2b5511000)",
      "\tlibpthread.so.0 => /lib/x86_64-linux-gnu/libpthread.so.0 (0x00007fd2b5316000)",
      "\tlinux-vdso.so.1 =>  (0x00007ffd5b1f4000)",
      "",
    ].join("\n");
    expect(libraryPaths(ldd)).toEqual([
      "/lib/x86_64-linux-gnu/libc.so.6",
      "/lib64/ld-linux-x86-64.so.2",
      "/lib/x86_64-linux-gnu/libpthread.so.0",
    ]);
  });

  test("an arm64 loader path; a library ldd cannot find is an error, not an image that fails to start", () => {
    expect(libraryPaths("\t/lib/ld-linux-aarch64.so.1 (0x0000ffff9c0b0000)\n")).toEqual(["/lib/ld-linux-aarch64.so.1"]);
    expect(() => libraryPaths("\tlibfoo.so.1 => not found\n")).toThrow("ldd cannot find a library: libfoo.so.1 => not found");
  });
});
